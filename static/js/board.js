// The kanban board: drag & drop (SortableJS), the "⋮" menu and keyboard moves, quick
// filters kept in the URL, and moves made elsewhere applied live.
//
// Live moves. live.js dispatches "helpdesk:live" on document with the server's JSON as
// event.detail; the board applies this shape (the notifications app sends exactly it):
//
//   {
//     "type": "ticket.moved",
//     "ticket_id": 42,            // the card is #ticket-card-42
//     "key": "HD-42",
//     "queue_id": 3,
//     "status_id": 2,             // the target column (data-status-id)
//     "status": "in_progress",    // the same column by status code
//     "previous_id": 17,          // the card above it after the move, or null (top)
//     "next_id": 18,              // the card below it after the move, or null
//     "version": 7,               // the ticket's version after the move
//     "rank": 123456,
//     "actor": {"id": 5, "name": "Anna Petrova"}   // or null for the system
//   }
//
// Only ticket_id, status_id (or status), previous_id, next_id and version are required.
// A ticket that is not on this board is ignored, and so is an event whose version is not
// newer than the card's (e.g. the echo of this tab's own move). The same function is
// exported and attached as window.helpdeskBoard.applyMove(detail).
//
// The board subscribes to its queues (data-queue-ids, plus the queues of the cards shown)
// through window.helpdeskLive (live.js), which repeats it after every reconnect. Other
// changes arrive as {"type": "ticket.changed", "ticket_id", "queue_id", "fields",
// "version", "actor"}: when they touch what a card shows, or add a card ("created", a new
// queue), the board re-reads its cards (refreshBoard).
import { format, post, urlWithId } from "./common.js";

const root = document.getElementById("board");
const canMove = root?.dataset.canMove === "true";
const transitions = JSON.parse(document.getElementById("board-transitions")?.textContent || "{}");
const announcer = document.getElementById("board-announcer");
const alertBox = document.getElementById("board-alert");
const filterForm = document.getElementById("board-filters");
const FILTER_FLAGS = ["mine", "unassigned", "high"];

let draggedCard = null;
// Moves are sent one after another, so a second move of a card uses the version the
// first one returned.
let sending = Promise.resolve();

// --- Helpers ---------------------------------------------------------------------------

function announce(message) {
  if (!announcer || !message) return;
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = message;
  }, 30);
}

function showAlert(message, kind = "danger") {
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

function setTooltip(element, text) {
  if (!element || !text) return;
  element.setAttribute("aria-label", text);
  const tooltip = window.bootstrap?.Tooltip.getInstance(element);
  if (tooltip) {
    tooltip.setContent({ ".tooltip-inner": text });
  } else {
    element.setAttribute("title", text);
  }
}

function hideTooltips() {
  document.dispatchEvent(new CustomEvent("helpdesk:hide-tooltips"));
}

const columns = () => Array.from(root.querySelectorAll(".board-column"));
const columnOf = (element) => element.closest(".board-column");
const listOf = (column) => column.querySelector(".board-cards");
const cardById = (id) => (id == null ? null : document.getElementById(`ticket-card-${id}`));

function columnByStatus({ status_id: statusId, status }) {
  return columns().find((column) =>
    statusId != null ? column.dataset.statusId === String(statusId) : column.dataset.status === status,
  );
}

function siblingCard(card, direction, { visibleOnly = false } = {}) {
  let node = direction < 0 ? card.previousElementSibling : card.nextElementSibling;
  while (node && (!node.classList.contains("board-card") || (visibleOnly && node.hidden))) {
    node = direction < 0 ? node.previousElementSibling : node.nextElementSibling;
  }
  return node;
}

function allowed(card, statusId) {
  if (String(statusId) === card.dataset.statusId) return true;
  const targets = transitions[card.dataset.queue]?.[card.dataset.statusId];
  return !targets || targets.includes(Number(statusId));
}

function cardPosition(card) {
  const cards = Array.from(listOf(columnOf(card)).querySelectorAll(".board-card"));
  return cards.indexOf(card) + 1;
}

// --- Counts, WIP limits and the card's own state ----------------------------------------

function filtersActive() {
  const values = readFilters();
  return FILTER_FLAGS.some((flag) => values[flag]) || values.text !== "";
}

function updateCounts() {
  const filtered = filtersActive();
  for (const column of columns()) {
    const total = Number(column.dataset.total || 0);
    const visible = listOf(column).querySelectorAll(".board-card:not([hidden])").length;
    const count = column.querySelector("[data-column-count]");
    if (count) count.textContent = filtered ? `${visible}/${total}` : String(total);
    const limit = column.dataset.wipLimit;
    if (limit !== undefined && limit !== "") {
      const over = total > Number(limit);
      column.classList.toggle("board-column-over-limit", over);
      const wip = column.querySelector("[data-wip]");
      if (wip) setTooltip(wip, over ? wip.dataset.labelOver : wip.dataset.labelOk);
    }
  }
}

function changeTotal(column, delta) {
  column.dataset.total = String(Math.max(0, Number(column.dataset.total || 0) + delta));
}

function setCardState(card, column, version) {
  card.dataset.status = column.dataset.status;
  card.dataset.statusId = column.dataset.statusId;
  if (version != null) card.dataset.version = String(version);
  const due = card.dataset.due;
  const overdue = Boolean(due) && due < root.dataset.today && column.dataset.closed !== "true";
  card.classList.toggle("board-card-overdue", overdue);
}

function flash(card) {
  card.classList.remove("board-card-flash");
  void card.offsetWidth; // restart the animation
  card.classList.add("board-card-flash");
}

// --- Placing cards ----------------------------------------------------------------------

function placeCard(card, column, previousId, nextId) {
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

function rememberPlace(card) {
  return { list: card.parentElement, next: siblingCard(card, 1) };
}

function putBack(card, origin) {
  if (origin.next && origin.next.parentElement === origin.list) {
    origin.list.insertBefore(card, origin.next);
  } else {
    origin.list.append(card);
  }
}

/**
 * Apply a move made elsewhere (another tab, another person, the server).
 * Returns true when the card was on this board and was moved.
 */
export function applyMove(detail) {
  const card = cardById(detail?.ticket_id ?? detail?.id);
  // A card being dragged, or whose move this tab is still saving: the echo of that move
  // can arrive before the answer to it, and the answer settles the card.
  if (!card || card === draggedCard || card.getAttribute("aria-busy") === "true") return false;
  const version = detail.version == null ? null : Number(detail.version);
  if (version != null && Number(card.dataset.version) >= version) return false;
  const column = columnByStatus(detail);
  if (!column) return false;
  const from = columnOf(card);
  const focused = document.activeElement === card;
  placeCard(card, column, detail.previous_id ?? null, detail.next_id ?? null);
  if (focused) card.focus({ preventScroll: true }); // moving a node in the DOM blurs it
  if (from !== column) {
    changeTotal(from, -1);
    changeTotal(column, 1);
  }
  setCardState(card, column, version);
  applyFilters({ keepUrl: true });
  flash(card);
  return true;
}

// --- Sending a move ---------------------------------------------------------------------

function errorMessage(body) {
  if (!body || typeof body !== "object") return "";
  for (const name of ["status", "version", "previous_id", "next_id", "non_field_errors"]) {
    if (Array.isArray(body[name]) && body[name].length) return body[name][0];
  }
  return typeof body.detail === "string" ? body.detail : "";
}

function postMove(card) {
  const column = columnOf(card);
  const previous = siblingCard(card, -1);
  const next = siblingCard(card, 1);
  return post(urlWithId(root.dataset.moveUrl, card.dataset.ticketId), {
    json: {
      status: column.dataset.status,
      previous_id: previous ? Number(previous.dataset.ticketId) : null,
      next_id: next ? Number(next.dataset.ticketId) : null,
      version: Number(card.dataset.version),
    },
  });
}

/** The card is already at its new place in the DOM; save it, or put it back. */
function submitMove(card, origin) {
  const task = async () => {
    const fromColumn = columnOf(origin.list);
    card.setAttribute("aria-busy", "true");
    let result;
    try {
      result = await postMove(card);
    } catch {
      result = null;
    } finally {
      card.removeAttribute("aria-busy");
    }
    const column = columnOf(card);
    if (result?.response.ok) {
      if (fromColumn !== column) {
        changeTotal(fromColumn, -1);
        changeTotal(column, 1);
      }
      setCardState(card, column, result.body?.version);
      updateCounts();
      const values = { key: card.dataset.key, status: column.dataset.statusName };
      announce(
        fromColumn !== column
          ? format(root.dataset.msgMoved, values)
          : format(root.dataset.msgPosition, { ...values, position: cardPosition(card) }),
      );
      return true;
    }
    putBack(card, origin);
    updateCounts();
    const message = errorMessage(result?.body) || root.dataset.msgFailed;
    showAlert(message, result?.response.status === 409 ? "warning" : "danger");
    announce(message);
    if (result?.response.status === 409 || result?.response.status === 404) {
      // Someone changed the ticket: show it as it is now, so the next move uses its
      // current version.
      await refreshBoard();
    }
    return false;
  };
  sending = sending.then(task, task);
  return sending;
}

// --- Refreshing the cards from the server -----------------------------------------------

let refreshWanted = false;

async function refreshBoard() {
  if (draggedCard) {
    // Replacing the cards under a drag would lose it: refresh once it ends.
    refreshWanted = true;
    return;
  }
  refreshWanted = false;
  let html;
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) return;
    html = await response.text();
  } catch {
    return;
  }
  const fresh = new DOMParser().parseFromString(html, "text/html");
  const focusedId = document.activeElement?.closest?.(".board-card")?.id;
  hideTooltips();
  for (const column of columns()) {
    const newer = fresh.querySelector(`.board-column[data-status-id="${column.dataset.statusId}"]`);
    if (!newer) continue;
    column.dataset.total = newer.dataset.total;
    column.dataset.shown = newer.dataset.shown;
    const cards = Array.from(listOf(newer).children).map((node) => document.importNode(node, true));
    listOf(column).replaceChildren(...cards);
    const more = column.querySelector(".board-more");
    const newerMore = newer.querySelector(".board-more");
    if (more) more.remove();
    if (newerMore) column.append(document.importNode(newerMore, true));
  }
  applyFilters({ keepUrl: true });
  if (focusedId) document.getElementById(focusedId)?.focus();
}

// --- Live changes other than moves ------------------------------------------------------

// The fields a card shows, and the changes that add a card to a board.
const CARD_FIELDS = new Set([
  "status",
  "assignee",
  "priority",
  "title",
  "due_date",
  "tags",
  "queue",
]);
const REFRESH_DELAY = 300;
let refreshTimer = null;

function boardQueueIds() {
  const ids = new Set((root.dataset.queueIds || "").match(/\d+/g)?.map(Number) || []);
  for (const card of root.querySelectorAll(".board-card[data-queue]")) {
    ids.add(Number(card.dataset.queue));
  }
  return Array.from(ids).sort((a, b) => a - b);
}

function subscribeToQueues() {
  const ids = boardQueueIds();
  if (ids.length) window.helpdeskLive?.subscribe({ board: ids });
}

// Changes waiting for the refresh: ticket id -> the version that must be shown (null: a
// card to add or remove).
const pendingChanges = new Map();

function stillPending() {
  for (const [ticketId, version] of pendingChanges) {
    const card = cardById(ticketId);
    if (version == null || !card || Number(card.dataset.version) < version) return true;
  }
  return false;
}

/** Several changes in a row (a bulk edit) cost one refresh, and none when the board got
 * there by itself meanwhile (the answer to this tab's own move). */
function refreshSoon(ticketId, version) {
  pendingChanges.set(ticketId, version);
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(async () => {
    const wanted = stillPending();
    pendingChanges.clear();
    if (!wanted) return;
    await refreshBoard();
    subscribeToQueues(); // a queue new to this board may have come in with the fresh cards
  }, REFRESH_DELAY);
}

function onTicketChanged(detail) {
  const fields = Array.isArray(detail.fields) ? detail.fields : [];
  const card = cardById(detail.ticket_id);
  const version = detail.version == null ? null : Number(detail.version);
  if (card) {
    // The echo of a move already applied (a move that changes the status is also sent as
    // a change with the same version).
    if (version != null && Number(card.dataset.version) >= version) return;
    if (!fields.some((name) => CARD_FIELDS.has(name))) return;
    // Leaving this queue's board: the card goes.
    const boardQueue = root.dataset.queueId;
    const leaves = boardQueue && detail.queue_id != null && String(detail.queue_id) !== boardQueue;
    refreshSoon(detail.ticket_id, leaves ? null : version);
    return;
  }
  const boardQueue = root.dataset.queueId;
  if (boardQueue && String(detail.queue_id) !== boardQueue) return;
  if (!fields.includes("created") && !fields.includes("queue")) return;
  refreshSoon(detail.ticket_id, null);
}

// --- Keyboard and menu moves ------------------------------------------------------------

function moveToColumn(card, column) {
  const values = { key: card.dataset.key, status: column.dataset.statusName };
  if (!allowed(card, column.dataset.statusId)) {
    announce(format(root.dataset.msgNotAllowed, values));
    return;
  }
  const origin = rememberPlace(card);
  listOf(column).prepend(card);
  card.focus();
  submitMove(card, origin);
}

function moveInColumn(card, direction) {
  const neighbour = siblingCard(card, direction, { visibleOnly: true });
  if (!neighbour) {
    announce(format(root.dataset.msgEdge, { key: card.dataset.key }));
    return;
  }
  const origin = rememberPlace(card);
  if (direction < 0) neighbour.before(card);
  else neighbour.after(card);
  card.focus();
  submitMove(card, origin);
}

function moveSideways(card, direction) {
  const all = columns();
  const target = all[all.indexOf(columnOf(card)) + direction];
  if (!target) {
    announce(format(root.dataset.msgEdge, { key: card.dataset.key }));
    return;
  }
  moveToColumn(card, target);
}

function onKeydown(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const card = event.target.closest?.(".board-card");
  if (!card || event.target !== card || card.dataset.canMove !== "true") return;
  const actions = {
    ArrowLeft: () => moveSideways(card, -1),
    ArrowRight: () => moveSideways(card, 1),
    ArrowUp: () => moveInColumn(card, -1),
    ArrowDown: () => moveInColumn(card, 1),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault(); // Alt+← would otherwise go back in history
  action();
}

function menuItem(label, onClick, { disabled = false } = {}) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "dropdown-item";
  button.textContent = label;
  button.disabled = disabled;
  button.addEventListener("click", onClick);
  item.append(button);
  return item;
}

function fillMenu(card) {
  const menu = card.querySelector("[data-card-menu]");
  if (!menu) return;
  const current = columnOf(card);
  const items = columns()
    .filter((column) => column !== current && allowed(card, column.dataset.statusId))
    .map((column) => menuItem(column.dataset.moveLabel, () => moveToColumn(card, column)));
  if (items.length) {
    const divider = document.createElement("li");
    divider.innerHTML = '<hr class="dropdown-divider">';
    items.push(divider);
  }
  items.push(
    menuItem(root.dataset.labelUp, () => moveInColumn(card, -1), {
      disabled: !siblingCard(card, -1, { visibleOnly: true }),
    }),
    menuItem(root.dataset.labelDown, () => moveInColumn(card, 1), {
      disabled: !siblingCard(card, 1, { visibleOnly: true }),
    }),
  );
  menu.replaceChildren(...items);
}

// --- Quick filters ----------------------------------------------------------------------

function readFilters() {
  const values = { text: "" };
  for (const flag of FILTER_FLAGS) values[flag] = Boolean(filterForm?.elements[flag]?.checked);
  values.text = (filterForm?.elements.text?.value || "").trim().toLowerCase();
  return values;
}

function cardMatches(card, values) {
  const assignee = card.dataset.assignee;
  if (values.mine && assignee !== root.dataset.userId) return false;
  if (values.unassigned && assignee !== "") return false;
  if (values.high && card.dataset.priorityHigh !== "true") return false;
  if (values.text) {
    const title = card.querySelector(".board-card-title")?.textContent || "";
    const haystack = `${card.dataset.key} ${title} ${card.dataset.assigneeName}`.toLowerCase();
    if (!haystack.includes(values.text)) return false;
  }
  return true;
}

function applyFilters({ keepUrl = false } = {}) {
  const values = readFilters();
  root.querySelectorAll(".board-card").forEach((card) => {
    card.hidden = !cardMatches(card, values);
  });
  updateCounts();
  if (keepUrl) return;
  const url = new URL(window.location.href);
  for (const flag of FILTER_FLAGS) {
    if (values[flag]) url.searchParams.set(flag, "1");
    else url.searchParams.delete(flag);
  }
  const text = filterForm?.elements.text?.value.trim() || "";
  if (text) url.searchParams.set("text", text);
  else url.searchParams.delete("text");
  window.history.replaceState(window.history.state, "", url);
}

function restoreFilters() {
  if (!filterForm) return;
  const params = new URLSearchParams(window.location.search);
  for (const flag of FILTER_FLAGS) {
    const input = filterForm.elements[flag];
    if (input) input.checked = params.get(flag) === "1";
  }
  if (filterForm.elements.text) filterForm.elements.text.value = params.get("text") || "";
  applyFilters({ keepUrl: true });
}

// --- Drag and drop ----------------------------------------------------------------------

async function startDragging() {
  const { Sortable } = await import(root.dataset.sortableSrc);
  let origin = null;
  for (const column of columns()) {
    Sortable.create(listOf(column), {
      group: {
        name: "board",
        pull: true,
        put: (to, from, dragged) => allowed(dragged, columnOf(to.el).dataset.statusId),
      },
      draggable: ".board-card",
      filter: ".board-card:not(.board-card-movable), .board-card-menu",
      preventOnFilter: false,
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 3,
      animation: 150,
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      dragClass: "board-card-dragging",
      onStart: (event) => {
        hideTooltips();
        draggedCard = event.item;
        origin = { list: event.from, next: siblingCard(event.item, 1) };
        root.dataset.dragging = "true";
      },
      onEnd: (event) => {
        draggedCard = null;
        delete root.dataset.dragging;
        const card = event.item;
        const from = origin;
        origin = null;
        const moved = from && !(event.from === event.to && event.oldIndex === event.newIndex);
        const saved = moved ? submitMove(card, from) : Promise.resolve();
        saved.then(() => refreshWanted && refreshBoard());
      },
    });
  }
  root.dataset.dragReady = "true";
}

// --- Start ------------------------------------------------------------------------------

if (root) {
  restoreFilters();
  filterForm?.addEventListener("submit", (event) => event.preventDefault());
  filterForm?.addEventListener("input", () => applyFilters());
  filterForm?.addEventListener("change", () => applyFilters());
  subscribeToQueues();
  document.addEventListener("helpdesk:live", (event) => {
    if (event.detail?.type === "ticket.changed") onTicketChanged(event.detail);
    if (event.detail?.type !== "ticket.moved" || !applyMove(event.detail)) return;
    // The echo of this user's own move (here or in another tab) needs no announcement.
    if (String(event.detail.actor?.id) === root.dataset.userId) return;
    const card = cardById(event.detail.ticket_id);
    announce(
      format(root.dataset.msgLive, {
        key: card.dataset.key,
        status: columnOf(card).dataset.statusName,
      }),
    );
  });
  window.helpdeskBoard = { applyMove, refresh: refreshBoard };
  if (canMove) {
    root.addEventListener("keydown", onKeydown);
    root.addEventListener("show.bs.dropdown", (event) => {
      const card = event.target.closest(".board-card");
      if (!card) return;
      const glyph = event.target.querySelector('[data-bs-toggle="tooltip"]');
      if (glyph) window.bootstrap?.Tooltip.getInstance(glyph)?.hide();
      fillMenu(card);
    });
    startDragging();
  }
}
