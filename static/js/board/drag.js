// Drag and drop between and within columns (SortableJS, loaded from static/vendor).
import { allowed, columnOf, columns, hideTooltips, listOf, root, siblingCard } from "./cards.js";
import { dragEnded, dragStarted, refreshIfWanted } from "./live-updates.js";
import { submitMove } from "./moves.js";

export async function startDragging() {
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
        dragStarted(event.item);
        origin = { list: event.from, next: siblingCard(event.item, 1) };
        root.dataset.dragging = "true";
      },
      onEnd: (event) => {
        dragEnded();
        delete root.dataset.dragging;
        const card = event.item;
        const from = origin;
        origin = null;
        const moved = from && !(event.from === event.to && event.oldIndex === event.newIndex);
        const saved = moved ? submitMove(card, from) : Promise.resolve();
        saved.then(refreshIfWanted);
      },
    });
  }
  root.dataset.dragReady = "true";
}
