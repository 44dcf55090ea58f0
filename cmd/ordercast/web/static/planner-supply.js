// The cycle's supply page: publishing publishes the previews shown, so once a supply or the mode is
// changed the publish button waits for "Preview again"; and a press, which may take seconds for many
// brands, disables the button and says so, so that it is not pressed twice (a second press would
// publish nothing twice, but would wait as long). The page works without the script.
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
  publish.addEventListener("submit", function () {
    button.disabled = true;
    button.textContent = button.dataset.busy;
    publish.setAttribute("aria-busy", "true");
  });
})();
