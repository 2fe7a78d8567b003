// The ticket page and the new-ticket form: in-place field changes, the timeline filter,
// the internal-note switch and the people autocomplete. Every feature has a plain HTML
// fallback, so the page works without this script.
document.documentElement.classList.add("hd-js");

// --- Side panel: a field is saved as soon as a value is picked ------------------------
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  const control = form.querySelector("[name=value]");
  if (!control) continue;
  const initial = control.value;
  control.addEventListener("change", () => {
    if (control.value === initial || !control.checkValidity()) return;
    form.classList.add("hd-saving");
    form.requestSubmit();
  });
  form.addEventListener("submit", () => {
    // A second change while the page reloads would be refused as stale anyway.
    window.setTimeout(() => {
      form.querySelectorAll("select, input, button").forEach((element) => {
        if (element.type !== "hidden") element.disabled = true;
      });
    }, 0);
  });
}

// A page restored from the back/forward cache shows an old version of the ticket (and
// fields disabled while saving): load it afresh.
if (document.querySelector("[data-ticket-page]")) {
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
}

// --- Timeline filter: all, comments only, history only --------------------------------
const filters = document.querySelector("[data-timeline-filters]");
if (filters) {
  filters.classList.remove("d-none");
  const entries = document.querySelectorAll("[data-timeline] [data-entry-kind]");
  filters.addEventListener("click", (event) => {
    const button = event.target.closest("[data-timeline-filter]");
    if (!button) return;
    const wanted = button.dataset.timelineFilter;
    for (const other of filters.querySelectorAll("[data-timeline-filter]")) {
      const active = other === button;
      other.classList.toggle("active", active);
      other.setAttribute("aria-pressed", String(active));
    }
    for (const entry of entries) {
      entry.hidden = wanted !== "all" && entry.dataset.entryKind !== wanted;
    }
  });
}

// --- Comment form: the button and the card say whether it is an internal note ---------
const commentForm = document.querySelector("[data-comment-form]");
const internalSwitch = commentForm?.querySelector("input[name=is_internal]");
if (internalSwitch) {
  const card = commentForm.closest("[data-comment-form-card]");
  const button = commentForm.querySelector("[data-label-public]");
  const label = button?.querySelector("[data-submit-label]");
  const icon = button?.querySelector(".bi");
  const update = () => {
    const internal = internalSwitch.checked;
    card?.classList.toggle("hd-internal-card", internal);
    card?.classList.toggle("border-warning", internal);
    if (label) label.textContent = internal ? button.dataset.labelInternal : button.dataset.labelPublic;
    if (icon) {
      icon.classList.toggle("bi-lock-fill", internal);
      icon.classList.toggle("bi-send", !internal);
    }
    button?.classList.toggle("btn-warning", internal);
    button?.classList.toggle("btn-primary", !internal);
  };
  internalSwitch.addEventListener("change", update);
  update();
}

// --- People autocomplete: GET /tickets/people/?q=...&role=any ------------------------
let listCount = 0;
for (const input of document.querySelectorAll("input[data-people-url]")) {
  const list = document.createElement("datalist");
  list.id = `people-options-${++listCount}`;
  input.after(list);
  input.setAttribute("list", list.id);
  let timer = 0;
  let controller = null;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const query = input.value.trim();
    if (query.length < 2) return;
    timer = window.setTimeout(async () => {
      controller?.abort();
      controller = new AbortController();
      const url = new URL(input.dataset.peopleUrl, window.location.href);
      url.searchParams.set("q", query);
      url.searchParams.set("role", input.dataset.peopleRole || "any");
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!response.ok) return;
        const data = await response.json();
        list.replaceChildren(
          ...(data.results || []).map((person) => {
            const option = document.createElement("option");
            option.value = person.username;
            option.label = person.name && person.name !== person.username ? person.name : "";
            return option;
          }),
        );
      } catch {
        // Typing on aborts the previous look-up; a failed one just offers nothing.
      }
    }, 200);
  });
}
