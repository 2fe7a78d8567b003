// Saving a move (the card is already at its new place), and moving with the keyboard
// (Alt+arrows) or the card's "⋮" menu.
import { format, post, urlWithId } from "../common.js";
import {
  allowed,
  announce,
  cardById,
  cardPosition,
  changeTotal,
  columnOf,
  columns,
  listOf,
  putBack,
  rememberPlace,
  root,
  setCardState,
  showAlert,
  siblingCard,
} from "./cards.js";
import { updateCounts } from "./filters.js";
import { localChange, refreshBoard, refreshIfWanted } from "./live-updates.js";

// Moves are sent one after another, so a second move of a card uses the version the
// first one returned.
let sending = Promise.resolve();

// --- Sending a move ---------------------------------------------------------------------

function errorMessage(body) {
  if (!body || typeof body !== "object") return "";
  for (const name of ["status", "version", "previous_id", "next_id", "non_field_errors"]) {
    if (Array.isArray(body[name]) && body[name].length) return body[name][0];
  }
  return typeof body.detail === "string" ? body.detail : "";
}

// A stale version answers with the API's one conflict body:
// {"detail", "changed_by": {"id", "name"} or null, "version": the ticket's version now}.
function conflictMessage(body) {
  if (typeof body?.detail === "string" && body.detail) return body.detail;
  if (body?.changed_by) return format(root.dataset.msgChangedBy, { name: body.changed_by.name });
  return "";
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
export function submitMove(card, origin) {
  localChange();
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
      refreshIfWanted();
      return true;
    }
    putBack(card, origin);
    updateCounts();
    const conflict = result?.response.status === 409;
    const message =
      (conflict ? conflictMessage(result.body) : errorMessage(result?.body)) ||
      root.dataset.msgFailed;
    showAlert(message, conflict ? "warning" : "danger");
    announce(message);
    if (conflict || result?.response.status === 404) {
      // Someone changed the ticket: show it as it is now, so the next move uses its
      // current version.
      await refreshBoard();
    }
    const version = conflict ? result.body?.version : null;
    const current = cardById(card.dataset.ticketId);
    if (current && Number.isInteger(version) && Number(current.dataset.version) < version) {
      // The refresh did not get through, or waits for another move: the next move of
      // this card still starts from the version the server has now.
      current.dataset.version = String(version);
    }
    return false;
  };
  sending = sending.then(task, task);
  return sending;
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

export function onKeydown(event) {
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

export function fillMenu(card) {
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
