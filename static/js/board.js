// The kanban board: drag & drop (board/drag.js), the "⋮" menu and keyboard moves
// (board/moves.js), quick filters kept in the URL (board/filters.js), and changes made
// elsewhere applied live (board/live-updates.js, which documents the messages).
import { format } from "./common.js";
import { announce, cardById, columnOf, root } from "./board/cards.js";
import { startDragging } from "./board/drag.js";
import { applyFilters, filterForm, restoreFilters } from "./board/filters.js";
import {
  applyMove,
  onTicketChanged,
  refreshBoard,
  subscribeToQueues,
} from "./board/live-updates.js";
import { fillMenu, onKeydown } from "./board/moves.js";

const canMove = root?.dataset.canMove === "true";

if (root) {
  restoreFilters();
  filterForm?.addEventListener("submit", (event) => event.preventDefault());
  filterForm?.addEventListener("input", () => applyFilters());
  filterForm?.addEventListener("change", () => applyFilters());
  subscribeToQueues();
  let connectedBefore = false;
  document.addEventListener("helpdesk:live", (event) => {
    if (event.detail?.type === "hello") {
      // A reconnect (Redis or the server was away): moves made meanwhile never came.
      if (connectedBefore) refreshBoard();
      connectedBefore = true;
    }
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
