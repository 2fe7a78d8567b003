// DRF's browsable API page (its template is not ours): the page's language on <html>,
// and a name for the format menu's button, which has only a tooltip.
(function () {
  "use strict";
  var meta = function (name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : "";
  };
  if (meta("hd-language")) document.documentElement.lang = meta("hd-language");
  var label = meta("hd-format-menu-label");
  document.querySelectorAll(".format-selection .dropdown-toggle").forEach(function (button) {
    if (label) button.setAttribute("aria-label", label);
  });
})();
