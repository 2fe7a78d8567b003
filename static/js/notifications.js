// The notification centre: the bell with its unread badge, the list of the latest
// notifications (read from the API when it opens), a toast and a short tone for each new
// one arriving over the live connection (live.js).
//
// Live messages used (event.detail of "helpdesk:live"):
//   {"type": "notification", "notification": {id, event, ticket, url, created_at, read,
//    title, body}, "sound": true, "resumed"?: true}
//   {"type": "resumed", "unread": 3, "last": 42}   after the page asked for what it missed
//   {"type": "hello", "user": 5}         a (re)connect
//   {"type": "notifications.read", "ids": [4, 5] | null, "unread": 1}   read elsewhere
// A notification is toasted once. Replayed ones ("resumed") never play a sound and are only
// toasted when created after the page loaded, so a reconnect does not replay old ones.
import { format, postForm, urlWithId } from "./common.js";

const root = document.querySelector("[data-notifications]");
const bell = root?.querySelector("[data-notification-bell]");
const badge = root?.querySelector("[data-notification-badge]");
// The same count on the menu button, while the bell is folded into the menu (below xl).
const barBadge = root ? document.querySelector("[data-notification-bar-badge]") : null;
const list = root?.querySelector("[data-notification-list]");
const readAllButton = root?.querySelector("[data-notification-read-all]");
const toastBox = document.querySelector("[data-toasts]");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

const MAX_TOASTS = 4;
const TOAST_DELAY = 8000;
// After a long time offline a reconnect may replay many: toast only the first few of them.
const MAX_RESUMED_TOASTS = 3;

// Replayed notifications (after a reconnect) are toasted only if they came after this page
// loaded: older ones are in the centre and the badge already.
const pageLoadedAt = Date.now();
const known = new Set();
let unread = null;
let resumedToasts = 0;
let loaded = false;
let played = 0;

// --- Helpers ---------------------------------------------------------------------------

function label(name, values = {}) {
  return format(root?.dataset[name], values);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function safeUrl(url) {
  // Only links within this site: the text comes from the server, but a link is a link.
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.origin === window.location.origin ? parsed.href : "#";
  } catch {
    return "#";
  }
}

// When, as the ticket pages say it (tickets/timeline.py, moment_label): relative up to a
// day ago, the date and time past that; the exact time goes in the title.
const DAY_MS = 24 * 60 * 60 * 1000;
const relativeTime = (() => {
  const language = document.documentElement.lang || undefined;
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const absolute = new Intl.DateTimeFormat(language, { dateStyle: "short", timeStyle: "short" });
  const steps = [
    ["second", 60],
    ["minute", 60],
    ["hour", 24],
  ];
  return (iso) => {
    const time = Date.parse(iso);
    if (Number.isNaN(time)) return "";
    if (Date.now() - time >= DAY_MS) return absolute.format(new Date(time));
    let amount = (time - Date.now()) / 1000;
    for (const [unit, size] of steps) {
      if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
      amount /= size;
    }
    return format.format(Math.round(amount), "day");
  };
})();
const exactTime = (() => {
  const language = document.documentElement.lang || undefined;
  const format = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "short" });
  return (iso) => {
    const time = Date.parse(iso);
    return Number.isNaN(time) ? "" : format.format(new Date(time));
  };
})();

/** A <time> element: the label by relativeTime, the exact moment on hover. */
function timeElement(tag, className, iso) {
  const wrapper = element(tag, className);
  const time = document.createElement("time");
  time.textContent = relativeTime(iso);
  if (iso) {
    time.dateTime = iso;
    wrapper.title = exactTime(iso);
  }
  wrapper.append(time);
  return wrapper;
}

// --- The badge --------------------------------------------------------------------------

function ring() {
  if (reducedMotion.matches) return;
  bell?.querySelector(".bi")?.animate(
    [
      { transform: "rotate(0)" },
      { transform: "rotate(14deg)" },
      { transform: "rotate(-10deg)" },
      { transform: "rotate(6deg)" },
      { transform: "rotate(0)" },
    ],
    { duration: 600, easing: "ease-out" },
  );
}

function setUnread(count) {
  unread = Math.max(0, Number(count) || 0);
  for (const each of [badge, barBadge]) {
    if (!each) continue;
    each.textContent = unread > 99 ? "99+" : String(unread);
    each.hidden = unread === 0;
  }
  const text = unread ? label("labelUnread", { count: unread }) : label("labelBell");
  bell?.setAttribute("aria-label", text);
  bell?.setAttribute("title", text);
  if (readAllButton) readAllButton.disabled = unread === 0;
}

function unreadFrom(response, body) {
  const header = response.headers.get("X-Unread-Count");
  if (header !== null && header !== "") return Number(header);
  if (body && typeof body.unread === "number") return body.unread;
  return null;
}

// --- The list -------------------------------------------------------------------------------

function itemFor(notification) {
  const link = element("a", "list-group-item list-group-item-action d-flex gap-2 py-2");
  link.href = safeUrl(notification.url);
  link.dataset.notificationId = String(notification.id);
  link.dataset.testid = "notification-item";
  const dot = element("span", "flex-shrink-0 mt-2 rounded-circle hd-notification-dot");
  dot.setAttribute("aria-hidden", "true");
  const text = element("div", "flex-grow-1 hd-notification-text");
  const title = element("div", "small text-wrap", notification.title || notification.ticket);
  const hidden = element("span", "visually-hidden", `${label("labelUnreadItem")}: `);
  title.prepend(hidden);
  text.append(title);
  if (notification.body) {
    text.append(element("div", "small text-body-secondary text-truncate", notification.body));
  }
  const when = timeElement("div", "small text-body-tertiary", notification.created_at);
  text.append(when);
  link.append(dot, text);
  markItem(link, Boolean(notification.read));
  return link;
}

function markItem(item, read) {
  item.dataset.unread = read ? "false" : "true";
  item.classList.toggle("bg-primary-subtle", !read);
  item.querySelector(".small")?.classList.toggle("fw-semibold", !read);
  const dot = item.firstElementChild;
  dot.classList.toggle("bg-primary", !read);
  item.querySelector(".visually-hidden").hidden = read;
}

function showMessage(text) {
  list.replaceChildren(element("div", "list-group-item small text-body-secondary py-3", text));
}

async function loadList() {
  if (!list) return;
  if (!loaded) showMessage(label("msgLoading"));
  let response;
  let body;
  try {
    response = await fetch(root.dataset.listUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(String(response.status));
    body = await response.json();
  } catch {
    showMessage(label("msgFailed"));
    return;
  }
  const results = Array.isArray(body) ? body : body?.results || [];
  const count = unreadFrom(response, body);
  if (count !== null) setUnread(count);
  for (const notification of results) known.add(notification.id);
  loaded = true;
  if (!results.length) {
    showMessage(label("msgEmpty"));
    return;
  }
  // Drawn again on every opening: the keyboard focus stays on the same notification.
  const focusedId = list.contains(document.activeElement)
    ? document.activeElement.dataset.notificationId
    : null;
  list.replaceChildren(...results.map(itemFor));
  if (focusedId) list.querySelector(`[data-notification-id="${Number(focusedId)}"]`)?.focus();
}

function addToList(notification) {
  if (!loaded || !list) return;
  if (list.querySelector(`[data-notification-id="${Number(notification.id)}"]`)) return;
  list.querySelector(":scope > :not([data-notification-id])")?.remove(); // "no notifications"
  list.prepend(itemFor(notification));
}

// Marks these notifications (all when ids is null) read in the list and the toasts of
// this page; returns whether any of them was still unread here.
function markReadHere(ids) {
  const selector = ids
    ? ids.map((id) => `[data-notification-id="${Number(id)}"]`).join(",")
    : "[data-notification-id]";
  if (!selector) return false;
  const items = document.querySelectorAll(selector);
  const wasUnread = Array.from(items).some((item) => item.dataset.unread === "true");
  items.forEach((item) => {
    if (item.classList.contains("list-group-item")) markItem(item, true);
    else item.dataset.unread = "false";
  });
  return wasUnread;
}

async function markRead(id) {
  if (markReadHere([id]) && unread) setUnread(unread - 1);
  try {
    // keepalive: the request outlives the page when the click goes on to open the ticket.
    const body = await postForm(urlWithId(root.dataset.readUrl, id), {}, { keepalive: true });
    if (typeof body?.unread === "number") setUnread(body.unread);
  } catch {
    /* the badge catches up the next time the centre opens */
  }
}

async function markAllRead() {
  readAllButton.disabled = true;
  try {
    const body = await postForm(root.dataset.readAllUrl, {}, { keepalive: true });
    setUnread(typeof body?.unread === "number" ? body.unread : 0);
    markReadHere(null);
  } catch {
    readAllButton.disabled = false;
  }
}

// --- Toasts and the tone ----------------------------------------------------------------

function toastFor(notification) {
  const toast = element("div", "toast");
  toast.setAttribute("role", "status");
  toast.setAttribute("aria-live", "polite");
  toast.setAttribute("aria-atomic", "true");
  toast.dataset.testid = "notification-toast";
  toast.dataset.notificationId = String(notification.id);
  toast.dataset.unread = notification.read ? "false" : "true";

  const header = element("div", "toast-header");
  const icon = element("i", "bi bi-bell-fill text-primary me-2");
  icon.setAttribute("aria-hidden", "true");
  const key = element("strong", "me-auto", notification.ticket || label("labelBell"));
  const when = timeElement("small", "text-body-secondary", notification.created_at);
  const close = element("button", "btn-close ms-2");
  close.type = "button";
  close.dataset.bsDismiss = "toast";
  close.setAttribute("aria-label", label("labelClose"));
  header.append(icon, key, when, close);

  const body = element("div", "toast-body");
  const link = element("a", "fw-semibold link-body-emphasis", notification.title);
  link.href = safeUrl(notification.url);
  link.dataset.notificationId = String(notification.id);
  link.dataset.unread = toast.dataset.unread;
  body.append(link);
  if (notification.body) {
    body.append(element("div", "small text-body-secondary mt-1", notification.body));
  }
  toast.append(header, body);
  return toast;
}

function showToast(notification) {
  if (!toastBox) return;
  const toast = toastFor(notification);
  toastBox.append(toast);
  const extra = toastBox.querySelectorAll(".toast").length - MAX_TOASTS;
  Array.from(toastBox.querySelectorAll(".toast"))
    .slice(0, Math.max(0, extra))
    .forEach((old) => old.remove());
  const Toast = window.bootstrap?.Toast;
  if (!Toast) {
    toast.classList.add("show");
    return;
  }
  toast.addEventListener("hidden.bs.toast", () => toast.remove());
  Toast.getOrCreateInstance(toast, {
    animation: !reducedMotion.matches,
    autohide: true,
    delay: TOAST_DELAY,
  }).show();
}

// Browsers let a page make sound only after the person interacted with it: the context is
// created (or resumed) on the first click or key press, and tones before that are silent.
let audio = null;

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio ??= new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

function unlockAudio() {
  try {
    audioContext();
  } catch {
    /* no audio here */
  }
}
document.addEventListener("pointerdown", unlockAudio, { once: true, capture: true });
document.addEventListener("keydown", unlockAudio, { once: true, capture: true });

/** A soft 200 ms tone: a sine that glides down a little, faded in and out (no click). */
function beep() {
  try {
    const context = audioContext();
    if (!context) return;
    const now = context.currentTime;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.setValueAtTime(880, now);
    oscillator.frequency.exponentialRampToValueAtTime(660, now + 0.2);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.12, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.2);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(now);
    oscillator.stop(now + 0.22);
    played += 1;
  } catch {
    /* sound is a nicety: never let it break the page */
  }
}

// --- Live messages ------------------------------------------------------------------------

function onNotification(detail) {
  const notification = detail.notification;
  if (!notification || notification.id == null) return;
  const fresh = !known.has(notification.id);
  known.add(notification.id);
  addToList(notification);
  if (!fresh) return;
  if (detail.resumed) {
    // Counted in the "resumed" message that follows. Toasted only when the page knows
    // what it already showed: newer than the page and not too many at once.
    const newer = Date.parse(notification.created_at) > pageLoadedAt;
    if (newer && resumedToasts < MAX_RESUMED_TOASTS) {
      resumedToasts += 1;
      showToast(notification);
    }
    return;
  }
  if (!notification.read) setUnread((unread ?? 0) + 1);
  showToast(notification);
  ring();
  // Nobody is notified of their own action (the server sees to it).
  if (detail.sound) beep();
}

function onLive(event) {
  const detail = event.detail;
  switch (detail?.type) {
    case "hello":
      resumedToasts = 0;
      break;
    case "notification":
      onNotification(detail);
      break;
    case "resumed":
      if (typeof detail.unread === "number") setUnread(detail.unread);
      break;
    case "notifications.read":
      // Read in another tab or window: this one agrees.
      markReadHere(detail.ids ?? null);
      if (typeof detail.unread === "number") setUnread(detail.unread);
      break;
    default:
      break;
  }
}

// --- Keyboard: the arrow keys move through the centre, as in the other navbar menus ---------
// Bootstrap moves only through .dropdown-item elements; the centre's entries are list-group
// items (and arrive after the menu opened), so the keys are handled here.
const MENU_KEYS = ["ArrowDown", "ArrowUp", "Home", "End"];
let focusFirstWhenLoaded = false;

function menuItems() {
  return Array.from(
    root.querySelectorAll(
      ".dropdown-menu [data-notification-read-all]:not(:disabled), .dropdown-menu a[data-notification-id]",
    ),
  );
}

function onMenuKey(event) {
  if (!MENU_KEYS.includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
  const menu = root.querySelector(".dropdown-menu");
  if (!menu?.classList.contains("show")) {
    // Bootstrap opens the menu; its entries are focused once they are loaded.
    focusFirstWhenLoaded = event.key === "ArrowDown" || event.key === "ArrowUp";
    return;
  }
  const items = menuItems();
  if (!items.length) {
    focusFirstWhenLoaded = event.key === "ArrowDown" || event.key === "ArrowUp"; // still loading
    return;
  }
  const index = items.indexOf(document.activeElement);
  let next;
  if (event.key === "Home") next = 0;
  else if (event.key === "End") next = items.length - 1;
  else if (index < 0) {
    // From the bell: the newest notification (↓) or the oldest (↑), as on opening.
    const first = items.findIndex((item) => item.dataset.notificationId);
    next = event.key === "ArrowDown" ? Math.max(first, 0) : items.length - 1;
  } else if (event.key === "ArrowDown") next = Math.min(index + 1, items.length - 1);
  else next = Math.max(index - 1, 0);
  event.preventDefault();
  event.stopPropagation();
  items[next].focus();
  items[next].scrollIntoView({ block: "nearest" });
}

function focusFirstIfAsked() {
  if (!focusFirstWhenLoaded) return;
  focusFirstWhenLoaded = false;
  if (!root.querySelector(".dropdown-menu")?.classList.contains("show")) return;
  const first = root.querySelector(".dropdown-menu a[data-notification-id]") || menuItems()[0];
  first?.focus();
}

// --- Start ------------------------------------------------------------------------------

if (root) {
  document.addEventListener("helpdesk:live", onLive);
  root.addEventListener("show.bs.dropdown", () => loadList().then(focusFirstIfAsked));
  // On the window, capturing: Bootstrap's own handler captures on the document and stops
  // the arrow keys there.
  window.addEventListener("keydown", (event) => root.contains(event.target) && onMenuKey(event), true);
  readAllButton?.addEventListener("click", (event) => {
    event.preventDefault();
    markAllRead();
  });
  // A click on a notification (in the centre or a toast) marks it read and opens it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[data-notification-id]");
    if (!link || link.dataset.unread === "false") return;
    if (!link.closest("[data-notifications], [data-toasts]")) return;
    markRead(link.dataset.notificationId);
  });
  setUnread(0);
  window.helpdeskNotifications = {
    get unread() {
      return unread;
    },
    get played() {
      return played;
    },
    refresh: loadList,
  };
}
