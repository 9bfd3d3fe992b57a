// Small enhancements; every form works without them.
(function () {
  "use strict";
  // Stop a double click from submitting a form twice.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.submitted === "1") {
      e.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    setTimeout(function () { form.dataset.submitted = ""; }, 5000);
  });
  // Ask before actions marked as needing confirmation.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) {
      e.preventDefault();
    }
  });
  // The language switcher submits on change.
  var lang = document.getElementById("locale-select");
  if (lang) {
    lang.addEventListener("change", function () { lang.form.submit(); });
    var btn = document.getElementById("locale-submit");
    if (btn) { btn.hidden = true; }
  }
  // Copy buttons (API token shown once).
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var src = document.getElementById(b.dataset.copy);
      if (src && navigator.clipboard) { navigator.clipboard.writeText(src.textContent.trim()); }
    });
  });
})();
