// The ticket page and the new-ticket form: in-place field changes, the timeline filter
// and the internal-note switch (people autocompletes: people.js). Every feature has a
// plain HTML fallback, so the page works without this script.
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

