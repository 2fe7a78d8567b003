// Quick filters kept in the URL, and the column counts (shown/total) and WIP limits they
// change.
import { columns, listOf, root, setTooltip } from "./cards.js";

export const filterForm = document.getElementById("board-filters");
const FILTER_FLAGS = ["mine", "unassigned", "high"];

// --- Quick filters ----------------------------------------------------------------------

export function readFilters() {
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

export function applyFilters({ keepUrl = false } = {}) {
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

export function restoreFilters() {
  if (!filterForm) return;
  const params = new URLSearchParams(window.location.search);
  for (const flag of FILTER_FLAGS) {
    const input = filterForm.elements[flag];
    if (input) input.checked = params.get(flag) === "1";
  }
  if (filterForm.elements.text) filterForm.elements.text.value = params.get("text") || "";
  applyFilters({ keepUrl: true });
}

// --- Counts and WIP limits --------------------------------------------------------------

function filtersActive() {
  const values = readFilters();
  return FILTER_FLAGS.some((flag) => values[flag]) || values.text !== "";
}

export function updateCounts() {
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
