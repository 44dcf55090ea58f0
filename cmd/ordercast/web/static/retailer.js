// The retailer page's progressive enhancement: one-tap fills, the running total against the balance
// with the shortfall, the countdown to the window's close, one submission per tap, and a short list:
// the outlet's own brands first, any brand found by name or code. The page works without it: every
// brand is listed and the form posts the quantities typed.
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
  // A line without an input (a scarce brand awaiting its supply) is not orderable yet: it counts 0.
  function input(line) { return line.querySelector("input"); }
  function qty(line) {
    var i = input(line);
    return i ? parseInt(i.value, 10) || 0 : 0;
  }
  function recompute() {
    var sum = 0;
    lines.forEach(function (line) {
      var q = qty(line);
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
      var i = input(line);
      if (i) i.value = from === "clear" ? 0 : line.dataset[from] || 0;
    });
    recompute();
    show();
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

  // The short list. "My brands" are those the outlet orders or should look at: a suggestion, last
  // week's order, a quantity typed, a limit or a new product. A search looks through every brand. A
  // line with a quantity always shows: what is ordered is never out of sight.
  var find = document.getElementById("find");
  var query = document.getElementById("find-q");
  var shown = document.getElementById("shown");
  var views = Array.prototype.slice.call(find.querySelectorAll("[data-view]"));
  var view = "mine";
  function ordered(line) { return qty(line) > 0; }
  function mine(line) {
    return line.hasAttribute("data-mine") || ordered(line) ||
      parseInt(line.dataset.suggested, 10) > 0 || parseInt(line.dataset.last, 10) > 0;
  }
  lines.forEach(function (line) {
    var h = line.querySelector("h3"), m = line.querySelector(".muted");
    line.dataset.find = ((h ? h.textContent : "") + " " + (m ? m.textContent : "")).toLowerCase();
  });
  var own = lines.filter(mine).length;
  if (own === 0 || own === lines.length) {
    view = "all"; // nothing to shorten: no toggle
    find.querySelector(".view").hidden = true;
  }
  function show() {
    var q = query.value.trim().toLowerCase(), n = 0;
    lines.forEach(function (line) {
      var visible = ordered(line) || (q ? line.dataset.find.indexOf(q) >= 0 : view === "all" || mine(line));
      line.hidden = !visible;
      if (visible) n++;
    });
    views.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.view === view)); });
    shown.textContent = n === 0 ? shown.dataset.none :
      shown.dataset.shown.replace("{n}", n).replace("{all}", lines.length);
  }
  views.forEach(function (b) {
    b.addEventListener("click", function () { view = b.dataset.view; show(); });
  });
  query.addEventListener("input", show);
  // Enter (a phone keyboard's search key) in the search box looks and closes the keyboard; it does
  // not place the order. A browser submits the form on the key's keypress, so both are stopped.
  function stay(e) {
    if (e.key !== "Enter") return;
    e.preventDefault();
    if (e.type === "keydown") query.blur();
  }
  query.addEventListener("keydown", stay);
  query.addEventListener("keypress", stay);
  find.hidden = false;
  show();
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
