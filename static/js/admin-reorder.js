// Statuses and priorities in the admin: drag a row by its grip (SortableJS, loaded from
// static/vendor) or move it with its ▲/▼ buttons; the new order of the rows on the page
// is posted at once to the admin's reorder view (tickets/admin.py, WorkflowAdmin).
const root = document.getElementById("hd-reorder-root");
const status = document.getElementById("hd-reorder-status");
const body = document.querySelector("#result_list tbody");

const rows = () => Array.from(body.querySelectorAll("tr")).filter((row) => row.querySelector(".hd-reorder"));
const rowId = (row) => row.querySelector(".hd-reorder").dataset.id;

function csrfToken() {
  return document.querySelector("#changelist-form [name=csrfmiddlewaretoken]")?.value || "";
}

function say(message, failed = false) {
  status.textContent = message;
  status.classList.toggle("hd-reorder-failed", failed);
}

function showOrder(order) {
  for (const row of rows()) {
    const cell = row.querySelector(".field-order");
    const value = order[rowId(row)];
    if (cell && value != null) cell.textContent = String(value);
  }
}

function restore(before) {
  body.append(...before);
}

async function save(before) {
  const data = new FormData();
  for (const row of rows()) data.append("ids", rowId(row));
  root.dataset.saving = "true";
  say("");
  try {
    const response = await fetch(root.dataset.url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      restore(before);
      say(answer.error || root.dataset.msgFailed, true);
      return;
    }
    showOrder(answer.order || {});
    say(root.dataset.msgSaved);
  } catch {
    restore(before);
    say(root.dataset.msgFailed, true);
  } finally {
    delete root.dataset.saving;
  }
}

function onButton(event) {
  const button = event.target.closest(".hd-reorder-button");
  if (!button) return;
  const row = button.closest("tr");
  const before = rows();
  const index = before.indexOf(row);
  const target = before[index + Number(button.dataset.step)];
  if (!target) return;
  if (Number(button.dataset.step) < 0) target.before(row);
  else target.after(row);
  button.focus(); // moving the row in the DOM takes the focus away
  save(before);
}

async function start() {
  if (!root || !body) return;
  body.addEventListener("click", onButton);
  const { Sortable } = await import(root.dataset.sortableSrc);
  let before = [];
  Sortable.create(body, {
    draggable: "tr",
    handle: ".hd-reorder-grip",
    forceFallback: true,
    fallbackTolerance: 3,
    animation: 150,
    ghostClass: "hd-reorder-ghost",
    onStart: () => {
      before = rows();
    },
    onEnd: (event) => {
      if (event.oldIndex !== event.newIndex) save(before);
    },
  });
  root.dataset.ready = "true";
}

start();
