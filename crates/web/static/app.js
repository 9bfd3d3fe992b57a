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
  // Coverage map: a click fills in a new candidate site's coordinates.
  document.addEventListener("click", function (e) {
    var map = e.target.closest && e.target.closest("#coverage-map");
    var lat = document.getElementById("site-latitude");
    var lng = document.getElementById("site-longitude");
    if (!map || !lat || !lng || !map.dataset.bbox) { return; }
    var b = map.dataset.bbox.split(",").map(Number);
    var r = map.getBoundingClientRect();
    var x = (e.clientX - r.left) / r.width, y = (e.clientY - r.top) / r.height;
    lat.value = (b[2] - y * (b[2] - b[0])).toFixed(6);
    lng.value = (b[1] + x * (b[3] - b[1])).toFixed(6);
    var name = document.getElementById("site-name");
    if (name) { name.focus(); }
  });
})();
