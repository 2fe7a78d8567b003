// The board's cards and columns in the DOM: finding them, placing a card, its state,
// and what the board says (the screen-reader announcer, the alert, tooltips).

export const root = document.getElementById("board");
export const transitions = JSON.parse(
  document.getElementById("board-transitions")?.textContent || "{}",
);
const announcer = document.getElementById("board-announcer");
const alertBox = document.getElementById("board-alert");

// --- Helpers ---------------------------------------------------------------------------

export function announce(message) {
  if (!announcer || !message) return;
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = message;
  }, 30);
}

export function showAlert(message, kind = "danger") {
  if (!alertBox) return;
  const alert = document.createElement("div");
  alert.className = `alert alert-${kind} alert-dismissible fade show py-2`;
  alert.setAttribute("role", "alert");
  alert.dataset.testid = "board-alert-message";
  alert.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.dataset.bsDismiss = "alert";
  close.setAttribute("aria-label", root.dataset.labelClose || "×");
  alert.append(close);
  alertBox.replaceChildren(alert);
}

export function setTooltip(element, text) {
  if (!element || !text) return;
  element.setAttribute("aria-label", text);
  const tooltip = window.bootstrap?.Tooltip.getInstance(element);
  if (tooltip) {
    tooltip.setContent({ ".tooltip-inner": text });
  } else {
    element.setAttribute("title", text);
  }
}

export function hideTooltips() {
  document.dispatchEvent(new CustomEvent("helpdesk:hide-tooltips"));
}

export const columns = () => Array.from(root.querySelectorAll(".board-column"));
export const columnOf = (element) => element.closest(".board-column");
export const listOf = (column) => column.querySelector(".board-cards");
export const cardById = (id) => (id == null ? null : document.getElementById(`ticket-card-${id}`));

export function columnByStatus({ status_id: statusId, status }) {
  return columns().find((column) =>
    statusId != null ? column.dataset.statusId === String(statusId) : column.dataset.status === status,
  );
}

export function siblingCard(card, direction, { visibleOnly = false } = {}) {
  let node = direction < 0 ? card.previousElementSibling : card.nextElementSibling;
  while (node && (!node.classList.contains("board-card") || (visibleOnly && node.hidden))) {
    node = direction < 0 ? node.previousElementSibling : node.nextElementSibling;
  }
  return node;
}

export function allowed(card, statusId) {
  if (String(statusId) === card.dataset.statusId) return true;
  const targets = transitions[card.dataset.queue]?.[card.dataset.statusId];
  return !targets || targets.includes(Number(statusId));
}

export function cardPosition(card) {
  const cards = Array.from(listOf(columnOf(card)).querySelectorAll(".board-card"));
  return cards.indexOf(card) + 1;
}

// --- Counts and the card's own state ---------------------------------------------------

export function changeTotal(column, delta) {
  column.dataset.total = String(Math.max(0, Number(column.dataset.total || 0) + delta));
}

export function setCardState(card, column, version) {
  card.dataset.status = column.dataset.status;
  card.dataset.statusId = column.dataset.statusId;
  if (version != null) card.dataset.version = String(version);
  const due = card.dataset.due;
  const overdue = Boolean(due) && due < root.dataset.today && column.dataset.closed !== "true";
  card.classList.toggle("board-card-overdue", overdue);
}

export function flash(card) {
  card.classList.remove("board-card-flash");
  void card.offsetWidth; // restart the animation
  card.classList.add("board-card-flash");
}

// --- Placing cards ----------------------------------------------------------------------

export function placeCard(card, column, previousId, nextId) {
  const list = listOf(column);
  const previous = cardById(previousId);
  const next = cardById(nextId);
  if (previous && previous !== card && previous.parentElement === list) {
    previous.after(card);
  } else if (next && next !== card && next.parentElement === list) {
    next.before(card);
  } else if (previousId == null) {
    list.prepend(card);
  } else {
    // Its neighbour is not on this board (another queue, or past the column limit).
    list.append(card);
  }
}

export function rememberPlace(card) {
  return { list: card.parentElement, next: siblingCard(card, 1) };
}

export function putBack(card, origin) {
  if (origin.next && origin.next.parentElement === origin.list) {
    origin.list.insertBefore(card, origin.next);
  } else {
    origin.list.append(card);
  }
}
