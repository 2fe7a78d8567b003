// The ticket page and the new-ticket form: in-place field changes, the timeline filter
// and the internal-note switch (people autocompletes: people.js). Every feature has a
// plain HTML fallback, so the page works without this script.
import { format } from "./common.js";

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

// --- The R key: reply (not while typing in a field, nor with a modifier) ---------------
const replyBox = commentForm?.querySelector("textarea[name=body]");
if (replyBox) {
  replyBox.setAttribute("aria-keyshortcuts", "R");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "r" && event.key !== "R") return;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    if (document.querySelector(".modal.show, .dropdown-menu.show")) return;
    event.preventDefault();
    replyBox.scrollIntoView({ block: "center" });
    replyBox.focus({ preventScroll: true });
  });
}

// --- Live: changes made by others, and who else has the ticket open -------------------
// live.js delivers {"type": "ticket.changed" | "ticket.commented", "ticket_id", "version",
// "actor": {id, name}, ...} and {"type": "presence", "action": "join" | "here" | "leave",
// "ticket_id", "user": {id, name}} once this page subscribed to its ticket.
const ticketPage = document.querySelector("[data-ticket-page][data-ticket-id]");
if (ticketPage) {
  const ticketId = Number(ticketPage.dataset.ticketId);
  const pageVersion = Number(ticketPage.dataset.ticketVersion) || 0;
  const banner = ticketPage.querySelector("[data-live-banner]");
  const presence = ticketPage.querySelector("[data-presence]");
  const language = document.documentElement.lang || undefined;
  const MAX_CHANGES_SHOWN = 6;
  // Per person, how many of their tabs have the ticket open (a tab closing is one "leave").
  const viewers = new Map();

  const isMe = (person) =>
    person?.id != null && String(person.id) === String(window.helpdeskLive?.userId);

  const showChange = (detail) => {
    if (!banner || isMe(detail.actor)) return;
    if (detail.type === "ticket.commented") {
      if (document.getElementById(`comment-${detail.comment_id}`)) return; // already shown
    } else {
      const fields = Array.isArray(detail.fields) ? detail.fields : [];
      // A change this page already shows (made just before it was loaded). Comments and
      // files leave the version as it is, so those always count.
      const unversioned = fields.some((name) => name === "comment" || name === "attachments");
      if (!unversioned && detail.version != null && Number(detail.version) <= pageVersion) return;
    }
    // What changed, in this page's language (notifications/live_updates.py sends each
    // language's sentences); else at least who changed it.
    const name = detail.actor?.name;
    const messages = ticketPage.dataset;
    let lines = detail.summary?.[language?.slice(0, 2)] || [];
    if (detail.type === "ticket.commented") {
      lines = [name ? format(messages.msgCommentedBy, { name }) : messages.msgChanged];
    } else if (!lines.length) {
      lines = [name ? format(messages.msgChangedBy, { name }) : messages.msgChanged];
    }
    const list = banner.querySelector("[data-live-banner-changes]");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    // The latest few are enough: the reload shows everything.
    while (list.children.length > MAX_CHANGES_SHOWN) list.firstElementChild.remove();
    banner.hidden = false;
  };

  const showViewers = () => {
    if (!presence) return;
    const names = Array.from(viewers.values(), (viewer) => viewer.name).sort((a, b) =>
      a.localeCompare(b, language),
    );
    presence.hidden = names.length === 0;
    const list = new Intl.ListFormat(language, { type: "conjunction" }).format(names);
    presence.querySelector("[data-presence-names]").textContent = names.length
      ? format(ticketPage.dataset.msgViewing, { names: list })
      : "";
    presence.dataset.viewers = Array.from(viewers.keys()).join(",");
  };

  const onPresence = (detail) => {
    const person = detail.user;
    if (Number(detail.ticket_id) !== ticketId || person?.id == null || isMe(person)) return;
    const current = viewers.get(person.id);
    if (detail.action === "leave") {
      if (current && current.tabs > 1) current.tabs -= 1;
      else viewers.delete(person.id);
    } else if (detail.action === "join" || detail.action === "here") {
      viewers.set(person.id, { name: person.name || "", tabs: (current?.tabs || 0) + 1 });
    }
    showViewers();
  };

  banner
    ?.querySelector("[data-live-reload]")
    ?.addEventListener("click", () => window.location.reload());
  document.addEventListener("helpdesk:live", (event) => {
    const detail = event.detail || {};
    if (detail.type === "hello") {
      // (Re)connected: whoever is still here answers our new "join" with "here".
      viewers.clear();
      showViewers();
    } else if (detail.type === "presence") {
      onPresence(detail);
    } else if (
      (detail.type === "ticket.changed" || detail.type === "ticket.commented") &&
      Number(detail.ticket_id) === ticketId
    ) {
      showChange(detail);
    }
  });
  window.helpdeskLive?.subscribe({ ticket: ticketId });
}
