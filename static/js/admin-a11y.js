// The operator console: Django's autocomplete widgets (Select2) draw a search box without a
// label into multiple-choice fields (a ticket's tags and watchers), and draw it again
// whenever the choice changes; each one gets the name of its field's label.
(function () {
  "use strict";

  function fieldName(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    return label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "";
  }

  function labelSearchBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      var name = fieldName(select);
      if (!name) return;
      container.querySelectorAll("input.select2-search__field").forEach(function (input) {
        if (input.getAttribute("aria-label") !== name) input.setAttribute("aria-label", name);
      });
    });
  }

  function start() {
    labelSearchBoxes();
    new MutationObserver(labelSearchBoxes).observe(document.body, {
      childList: true,
      subtree: true,
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
