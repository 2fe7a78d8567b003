// Keyboard shortcuts (the "?" dialog lists them: templates/includes/shortcuts_help.html).
// Everywhere: "g l" the list, "g b" the board, "?" the dialog. The list: j/k move, Enter
// opens, x selects. A ticket: n internal note, a assign to me (r, reply: ticket.js).
// Nothing happens while typing in a field, with a modifier, or with a dialog open.

const help = document.querySelector("[data-shortcuts]");
const SEQUENCE_MS = 1500;
let pendingG = 0;

function typing(target) {
  return target instanceof Element && Boolean(target.closest("input, textarea, select, [contenteditable]"));
}

function rows() {
  return Array.from(document.querySelectorAll("[data-ticket-row]"));
}

function currentRow() {
  return document.querySelector("[data-ticket-row].hd-row-current");
}

function moveRow(step) {
  const all = rows();
  if (!all.length) return false;
  const index = all.indexOf(currentRow());
  const next = all[Math.min(all.length - 1, Math.max(0, index < 0 ? 0 : index + step))];
  all.forEach((row) => {
    row.classList.toggle("hd-row-current", row === next);
    row.removeAttribute("aria-current");
  });
  next.setAttribute("aria-current", "true");
  const link = next.querySelector("a[href]");
  link?.focus({ preventScroll: true });
  next.scrollIntoView({ block: "nearest" });
  return true;
}

function onList(key) {
  if (key === "j") return moveRow(1);
  if (key === "k") return moveRow(-1);
  const row = currentRow();
  if (!row) return false;
  if (key === "Enter") {
    const link = row.querySelector("a[href]");
    if (link) window.location.href = link.href;
    return Boolean(link);
  }
  if (key === "x") {
    const box = row.querySelector("[data-bulk-row]");
    if (!box) return false;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }
  return false;
}

function onTicket(key) {
  if (key === "n") {
    const form = document.querySelector("[data-comment-form]");
    const note = form?.querySelector("input[name=is_internal]");
    const box = form?.querySelector("textarea[name=body]");
    if (!note || !box) return false;
    if (!note.checked) note.click();
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
    return true;
  }
  if (key === "a") {
    const take = document.querySelector("[data-shortcut-take]");
    if (!take) return false;
    take.closest("form")?.requestSubmit(take);
    return true;
  }
  return false;
}

document.addEventListener("keydown", (event) => {
  if (!help || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(event.target) || document.querySelector(".modal.show, .dropdown-menu.show")) return;
  const key = event.key;
  let handled = false;
  if (pendingG && Date.now() - pendingG < SEQUENCE_MS && (key === "l" || key === "b")) {
    window.location.href = key === "l" ? help.dataset.listUrl : help.dataset.boardUrl;
    handled = true;
  } else if (key === "g") {
    pendingG = Date.now();
    return;
  } else if (key === "?") {
    window.bootstrap?.Modal.getOrCreateInstance(help).show();
    handled = true;
  } else if (document.querySelector("[data-ticket-row]")) {
    // Enter on a focused link or button keeps its own meaning.
    if (key !== "Enter" || !(event.target instanceof Element && event.target.closest("a, button"))) {
      handled = onList(key);
    }
  } else if (document.querySelector("[data-ticket-page]")) {
    handled = onTicket(key);
  }
  pendingG = 0;
  if (handled) event.preventDefault();
});
