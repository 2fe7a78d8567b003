// The live connection: one WebSocket per tab (its path from the server, siteUrl("live")),
// reconnecting with backoff.
//
// Every message from the server is dispatched as a "helpdesk:live" event on document with
// the server's JSON as event.detail ("hello", "notification", "resumed", "ticket.moved",
// "ticket.changed", "ticket.commented", "presence", "subscribed", "refused", ...).
//
// Pages talk back through window.helpdeskLive:
//   send(obj)       sends obj now when connected (false when not: it is not queued);
//   subscribe(obj)  {board: [queue ids]} or {ticket: id}: sent as {"type": "subscribe", ...}
//                   now and again after every reconnect;
//   userId          the signed-in user's id, once the server said hello (else null);
//   lastNotificationId  the newest notification id this page has seen.
//
// After each hello the page asks for what it missed: {"type": "resume", "after": id} with
// the newest notification id it saw; the first time 0, which replays nothing and answers
// with the newest id ("last") to resume from after a reconnect.
import { siteUrl } from "./common.js";

const indicator = document.querySelector("[data-live-indicator]");
const CLOSE_UNAUTHENTICATED = 4401;
const MIN_DELAY = 1000;
const MAX_DELAY = 30000;
// A connection that stayed up this long was a good one: the next failure starts the
// backoff from the beginning again.
const STABLE_AFTER = 10000;

let attempt = 0;
let socket = null;
let stableTimer = null;
let retryTimer = null;
let lastNotificationId = 0;
const subscriptions = new Map();

function show(state) {
  if (!indicator) return;
  indicator.dataset.state = state;
  const label = indicator.dataset[`label${state[0].toUpperCase()}${state.slice(1)}`];
  if (label) {
    indicator.setAttribute("title", label);
    indicator.setAttribute("aria-label", label);
  }
}

/** The wait before the next attempt: about 1 s, 2 s, 4 s … up to 30 s. */
function backoff() {
  const base = MIN_DELAY * 2 ** Math.min(attempt, 5);
  // ±20 % jitter, so a restarted server is not hit by every open tab at the same moment.
  const jittered = base * (0.8 + Math.random() * 0.4);
  return Math.round(Math.min(MAX_DELAY, Math.max(MIN_DELAY, jittered)));
}

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(message));
  return true;
}

function subscriptionKey(request) {
  // One subscription of each kind per ticket, and one for the board (the latest wins).
  return "ticket" in request ? `ticket:${request.ticket}` : Object.keys(request).sort().join(",");
}

function subscribe(request) {
  const message = { ...request, type: "subscribe" };
  subscriptions.set(subscriptionKey(request), message);
  return send(message);
}

function seen(payload) {
  const id = Number(payload?.notification?.id);
  if (payload?.type === "notification" && id > lastNotificationId) lastNotificationId = id;
  // A fresh page (id 0) learns the newest id from the first "resumed" answer, so a
  // reconnect later asks only for what came in between.
  const last = Number(payload?.last);
  if (payload?.type === "resumed" && last > lastNotificationId) lastNotificationId = last;
}

function onHello(payload) {
  window.helpdeskLive.userId = payload.user ?? null;
  send({ type: "resume", after: lastNotificationId });
  for (const message of subscriptions.values()) send(message);
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}${siteUrl("live")}`);
  show("connecting");
  socket.addEventListener("open", () => {
    show("online");
    stableTimer = window.setTimeout(() => {
      attempt = 0;
    }, STABLE_AFTER);
  });
  socket.addEventListener("message", (event) => {
    let payload;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return;
    }
    if (payload?.type === "hello") onHello(payload);
    // This page's board or ticket is no longer ours to watch: reload to what we may see.
    if (payload?.type === "revoked") window.location.reload();
    seen(payload);
    document.dispatchEvent(new CustomEvent("helpdesk:live", { detail: payload }));
  });
  socket.addEventListener("close", (event) => {
    window.clearTimeout(stableTimer);
    show("offline");
    if (event.code === CLOSE_UNAUTHENTICATED) return;
    const delay = backoff();
    attempt += 1;
    retryTimer = window.setTimeout(reconnectNow, delay);
  });
}

function reconnectNow() {
  window.clearTimeout(retryTimer);
  retryTimer = null;
  connect();
}

// Back from offline (laptop lid, train tunnel): no need to sit out the rest of the wait.
window.addEventListener("online", () => {
  if (retryTimer !== null) reconnectNow();
});

window.helpdeskLive = {
  send,
  subscribe,
  userId: null,
  get lastNotificationId() {
    return lastNotificationId;
  },
};

// A site without the notifications app has no live connection.
if (siteUrl("live")) connect();
else show("offline");
