// Changes made elsewhere, applied to the board.
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
import {
  cardById,
  changeTotal,
  columnByStatus,
  columnOf,
  columns,
  flash,
  hideTooltips,
  listOf,
  placeCard,
  root,
  setCardState,
} from "./cards.js";
import { applyFilters } from "./filters.js";

let draggedCard = null;
let refreshWanted = false;
// Counts this tab's own changes (a drag begun, a move sent): cards read from the server
// before one of them are stale, and a refresh that got them tries again afterwards.
let localChanges = 0;

/** While a card is dragged, live changes wait: a refresh once the drag has ended. */
export function dragStarted(card) {
  draggedCard = card;
  localChanges += 1;
}

export function localChange() {
  localChanges += 1;
}

export function dragEnded() {
  draggedCard = null;
}

export function refreshIfWanted() {
  return refreshWanted ? refreshBoard() : undefined;
}

// --- Moves -----------------------------------------------------------------------------

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
  if (!column) {
    // Moved to a status that is not a column here: the card leaves, the note counts it.
    refreshBoard();
    return false;
  }
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

// --- Refreshing the cards from the server -----------------------------------------------

export async function refreshBoard() {
  if (draggedCard) {
    // Replacing the cards under a drag would lose it: refresh once it ends.
    refreshWanted = true;
    return;
  }
  refreshWanted = false;
  const seen = localChanges;
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
  if (draggedCard || root.querySelector('.board-card[aria-busy="true"]')) {
    // A drag or a move is under way: read the cards again once it has settled (the
    // drag's end or the move's answer asks for it).
    refreshWanted = true;
    return;
  }
  // The page was read before this tab's own move: it may not show it. Read it again.
  if (localChanges !== seen) return refreshBoard();
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
  replaceHiddenNote(fresh);
  applyFilters({ keepUrl: true });
  if (focusedId) document.getElementById(focusedId)?.focus();
}

/** The note listing tickets in statuses that are not columns of this board. */
function replaceHiddenNote(fresh) {
  const note = document.getElementById("board-hidden");
  const newer = fresh.getElementById("board-hidden");
  const copy = newer ? document.importNode(newer, true) : null;
  if (note && copy) note.replaceWith(copy);
  else if (note) note.remove();
  else if (copy) root.querySelector(".board-columns")?.before(copy);
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
  "merged_into",
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

export function subscribeToQueues() {
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

export function onTicketChanged(detail) {
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
  // A card may also come back from a status that is not a column here (the note).
  const fromHidden = fields.includes("status") && document.getElementById("board-hidden");
  if (!fields.includes("created") && !fields.includes("queue") && !fromHidden) return;
  refreshSoon(detail.ticket_id, null);
}
