// The retailer page's progressive enhancement: one-tap fills, the running total against the balance
// with the shortfall, the countdown to the window's close, and one submission per tap. The page works
// without it: the form posts the quantities typed.
(function () {
  "use strict";
  var form = document.getElementById("order");
  if (!form) return;
  var lines = Array.prototype.slice.call(form.querySelectorAll(".line"));
  var total = document.getElementById("total");
  var available = document.getElementById("available");
  var shortfall = document.getElementById("shortfall");

  function money(cents) {
    var sign = cents < 0 ? "-" : "";
    cents = Math.abs(cents);
    var yuan = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var fen = String(cents % 100);
    return sign + "¥" + yuan + "." + (fen.length < 2 ? "0" + fen : fen);
  }
  function input(line) { return line.querySelector("input"); }
  function recompute() {
    var sum = 0;
    lines.forEach(function (line) {
      var q = parseInt(input(line).value, 10);
      if (q > 0) sum += q * parseInt(line.dataset.price, 10);
    });
    total.textContent = money(sum);
    var short = sum - parseInt(available.dataset.cents, 10);
    if (short > 0) {
      shortfall.textContent = shortfall.dataset.short + " " + money(short);
      shortfall.className = "warn";
    } else {
      shortfall.textContent = shortfall.dataset.enough;
      shortfall.className = "ok";
    }
  }
  function fill(from) {
    lines.forEach(function (line) {
      input(line).value = from === "clear" ? 0 : line.dataset[from] || 0;
    });
    recompute();
  }
  document.getElementById("tools").hidden = false;
  form.querySelectorAll("[data-fill]").forEach(function (b) {
    b.addEventListener("click", function () { fill(b.dataset.fill); });
  });
  form.querySelectorAll("[data-take]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      b.closest(".line").querySelector("input").value = b.dataset.take;
      recompute();
    });
  });
  form.addEventListener("input", recompute);
  // One submission per tap: the form's Idempotency-Key makes a repeat harmless, this makes it rare.
  var sent = false;
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }
    sent = true;
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  var cd = document.getElementById("countdown");
  if (cd) {
    var closes = Date.parse(cd.dataset.closes);
    var tick = function () {
      var left = Math.max(0, closes - Date.now());
      var d = Math.floor(left / 864e5), h = Math.floor(left % 864e5 / 36e5), m = Math.floor(left % 36e5 / 6e4);
      cd.textContent = (d > 0 ? d + " " + cd.dataset.d + " " : "") + h + " " + cd.dataset.h + " " + m + " " + cd.dataset.m;
    };
    tick();
    setInterval(tick, 30000);
  }
})();
