// Browser push: subscribes this browser when the person asks ([data-push-enable]) and
// keeps the server's copy of an existing subscription current (new key, removed row).
//
// Buttons: [data-push-enable] subscribes, [data-push-disable] unsubscribes. Both are
// hidden where push cannot work (no service worker / Push API, plain HTTP, no VAPID key).
// Every button's data-push-state says where things are: "off", "on", "denied", "error".
// The VAPID key is read from <meta name="vapid-public-key"> when the page has one,
// otherwise from the server's key URL. The URLs come from the server (common.js siteUrl).
import { postJson, siteUrl } from "./common.js";

const SYNCED = "helpdesk.push.synced";

export function pushSupported() {
  return (
    window.isSecureContext &&
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window
  );
}

let keyPromise = null;

export function publicKey() {
  if (!keyPromise) {
    const meta = document.querySelector('meta[name="vapid-public-key"]');
    const url = siteUrl("pushKey"); // none on a site without the notifications app
    keyPromise = meta || !url
      ? Promise.resolve(meta?.content || null)
      : fetch(url, { credentials: "same-origin" })
          .then((response) => (response.ok ? response.json() : {}))
          .then((data) => data.public_key || null)
          .catch(() => null);
  }
  return keyPromise;
}

function keyBytes(base64url) {
  const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4))
    .replace(/-/g, "+")
    .replace(/_/g, "/");
  return Uint8Array.from(window.atob(base64), (char) => char.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true; // the browser does not tell: assume it is ours
  const a = new Uint8Array(current);
  const b = keyBytes(key);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function browserName() {
  const agent = navigator.userAgent;
  if (/Edg\//.test(agent)) return "edge";
  if (/YaBrowser\//.test(agent)) return "yandex";
  if (/OPR\//.test(agent)) return "opera";
  if (/Firefox\//.test(agent)) return "firefox";
  if (/Chrome\//.test(agent)) return "chrome";
  if (/Safari\//.test(agent)) return "safari";
  return "other";
}

function saveSubscription(subscription) {
  // An error says what went wrong in the reader's language (the server's "detail").
  return postJson(siteUrl("pushSubscribe"), {
    subscription: subscription.toJSON(),
    browser: browserName(),
    user_agent: navigator.userAgent,
  }).then((answer) => {
    try {
      window.sessionStorage.setItem(SYNCED, subscription.endpoint);
    } catch {
      /* storage disabled: the next page saves it again, which is harmless */
    }
    return answer;
  });
}

let registrationPromise = null;

function registration() {
  if (!registrationPromise) {
    // subscribe() needs an active worker, hence waiting for "ready" (scope "/" covers
    // every page, so "ready" is this registration).
    registrationPromise = navigator.serviceWorker
      .register(siteUrl("pushWorker"), { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .catch((error) => {
        registrationPromise = null; // let the next click try again
        throw error;
      });
  }
  return registrationPromise;
}

// Subscribe this browser (asks for permission) and save it. Call it from a click: the
// browser only asks for permission in answer to one.
export async function enablePush() {
  if (!pushSupported()) throw new Error("push is not supported here");
  const [key, reg] = await Promise.all([publicKey(), registration()]);
  if (!key) throw new Error("push is not configured on the server");
  let subscription = await reg.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key),
    });
  }
  await saveSubscription(subscription);
  return subscription;
}

export async function disablePush() {
  if (!pushSupported()) return;
  const reg = await registration();
  const subscription = await reg.pushManager.getSubscription();
  if (!subscription) return;
  await postJson(siteUrl("pushUnsubscribe"), { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
  try {
    window.sessionStorage.removeItem(SYNCED);
  } catch {
    /* storage disabled */
  }
}

// Without a click: when permission was given earlier, make the server's copy match this
// browser (the server drops subscriptions a push service reports gone; a new VAPID key
// needs a new subscription). Once per tab session.
async function syncSubscription(key) {
  if (Notification.permission !== "granted") return null;
  const reg = await registration();
  let subscription = await reg.pushManager.getSubscription();
  if (!subscription) return null;
  if (!sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key),
    });
  } else {
    let synced = null;
    try {
      synced = window.sessionStorage.getItem(SYNCED);
    } catch {
      /* storage disabled */
    }
    if (synced === subscription.endpoint) return subscription;
  }
  await saveSubscription(subscription);
  return subscription;
}

// The buttons, and the [data-push-status] line that says so in words (data-msg-<state>;
// an error adds what went wrong).
function setState(buttons, state, error = null) {
  buttons.forEach((button) => {
    button.dataset.pushState = state;
    if (button.matches("[data-push-enable]")) button.disabled = state === "on" || state === "denied";
    if (button.matches("[data-push-disable]")) button.disabled = state !== "on";
  });
  document.querySelectorAll("[data-push-status]").forEach((status) => {
    const key = `msg${state.charAt(0).toUpperCase()}${state.slice(1)}`;
    const words = status.dataset[key] ?? "";
    status.textContent = error?.message ? `${words} ${error.message}`.trim() : words;
  });
}

async function init() {
  const buttons = document.querySelectorAll("[data-push-enable], [data-push-disable]");
  const signedIn = document.documentElement.dataset.signedIn === "true";
  // Without buttons there is only an existing subscription to keep current: none can
  // exist before the person allowed notifications, so most pages ask for nothing.
  if (!buttons.length && !(pushSupported() && Notification.permission === "granted")) return;
  const key = pushSupported() && signedIn ? await publicKey() : null;
  if (!key) {
    buttons.forEach((button) => {
      button.hidden = true;
    });
    return;
  }
  // Ready before the click: Safari asks for permission only straight from a click.
  if (buttons.length) registration().catch((error) => console.warn("push:", error));
  let subscription = null;
  try {
    subscription = await syncSubscription(key);
  } catch (error) {
    console.warn("push: could not refresh the subscription", error);
  }
  const denied = Notification.permission === "denied";
  setState(buttons, subscription ? "on" : denied ? "denied" : "off");

  buttons.forEach((button) => {
    button.addEventListener("click", async () => {
      const enabling = button.matches("[data-push-enable]");
      button.disabled = true;
      try {
        if (enabling) {
          await enablePush();
          setState(buttons, "on");
        } else {
          await disablePush();
          setState(buttons, "off");
        }
      } catch (error) {
        console.warn("push:", error);
        const denied = Notification.permission === "denied";
        setState(buttons, denied ? "denied" : "error", denied ? null : error);
      }
    });
  });
}

init();
