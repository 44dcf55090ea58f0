// The cycle's supply page. Publishing publishes the previews shown, so once a supply or the mode is
// changed the publish button waits for "Preview again". A press publishes the brands one request
// each, saying how many are done (at a province's size each takes seconds), then sends the whole
// form as the page without the script does: the brands already published answer as they did (each
// brand has its own Idempotency-Key), and the server shows the cycle, or what it could not publish.
// A brand's request that is not answered with the cycle stops the loop there, and the whole form
// says why. The page works without the script.
(function () {
  "use strict";
  var form = document.getElementById("supply-form");
  var publish = document.getElementById("publish-form");
  var button = document.getElementById("publish-all");
  if (!form || !publish || !button) return;
  var hint = document.getElementById("publish-hint");
  function changed() {
    button.disabled = true;
    if (hint) hint.hidden = false;
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  function field(body, name) {
    var el = publish.querySelector('input[name="' + name + '"]');
    if (el) body.append(name, el.value);
  }
  publish.addEventListener("submit", function (ev) {
    button.disabled = true;
    button.textContent = button.dataset.busy;
    publish.setAttribute("aria-busy", "true");
    if (!window.fetch || !window.URLSearchParams) return;
    ev.preventDefault();
    var brands = Array.prototype.map.call(publish.querySelectorAll('input[name="brand"]'), function (i) { return i.value; });
    var whole = function () { publish.submit(); };
    var next = function (i) {
      if (i >= brands.length) return whole();
      button.textContent = button.dataset.progress.replace("{n}", i).replace("{of}", brands.length);
      var body = new URLSearchParams();
      ["_csrf", "key", "basis", "mode", "dimension"].forEach(function (n) { field(body, n); });
      body.append("brand", brands[i]);
      field(body, "preview." + brands[i]);
      field(body, "supply." + brands[i]);
      fetch(publish.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" }).then(function (r) {
        if (r.type === "opaqueredirect") next(i + 1); else whole();
      }, whole);
    };
    next(0);
  });
})();
