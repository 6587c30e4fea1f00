/* Small enhancements of every page; each page works without them. */
(function () {
  "use strict";
  document.querySelectorAll("select.auto-submit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll(".js-hide").forEach(function (element) { element.hidden = true; });
  document.querySelectorAll(".js-only").forEach(function (element) { element.hidden = false; });
})();
