// Bootstrap tooltips (U4) for every element with data-bs-toggle="tooltip", including
// those added to the page later (board cards moved live, rows loaded by a script).
const selector = '[data-bs-toggle="tooltip"]';

function attach(root) {
  if (!window.bootstrap) return;
  root.querySelectorAll(selector).forEach((element) => {
    window.bootstrap.Tooltip.getOrCreateInstance(element, { trigger: "hover focus" });
  });
}

attach(document);
new MutationObserver((records) => {
  for (const record of records) {
    record.addedNodes.forEach((node) => {
      if (node.nodeType === Node.ELEMENT_NODE) attach(node.matches(selector) ? node.parentNode : node);
    });
  }
}).observe(document.body, { childList: true, subtree: true });

// A tooltip must not stay on screen after its element was dragged or removed.
document.addEventListener("helpdesk:hide-tooltips", () => {
  document.querySelectorAll(selector).forEach((element) => {
    window.bootstrap?.Tooltip.getInstance(element)?.hide();
  });
});
