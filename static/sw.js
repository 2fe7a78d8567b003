// The service worker, served from /sw.js so that it controls the whole site. It shows
// the notifications the server pushes and opens their ticket when one is clicked.
// The payload is {id, title, body, url, tag, icon?} (notifications/push.py).

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

function readPayload(data) {
  if (!data) return {};
  try {
    return data.json();
  } catch {
    return { body: data.text() };
  }
}

// Only pages of this site are opened, whatever the payload says.
function targetUrl(url) {
  try {
    const target = new URL(url || "/", self.location.origin);
    if (target.origin === self.location.origin) return target.href;
  } catch {
    /* not a URL: fall through to the home page */
  }
  return new URL("/", self.location.origin).href;
}

self.addEventListener("push", (event) => {
  const payload = readPayload(event.data);
  const options = {
    body: payload.body || "",
    data: { url: targetUrl(payload.url), id: payload.id },
  };
  // The same tag replaces a notification already shown (a duplicate after a retry).
  if (payload.tag) options.tag = payload.tag;
  if (payload.icon) options.icon = payload.icon;
  // A push must show something (userVisibleOnly), even without a title.
  event.waitUntil(self.registration.showNotification(payload.title || self.location.host, options));
});

async function openTarget(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  // A tab already showing the page: bring it forward.
  const same = windows.find((client) => client.url === url);
  if (same) return same.focus();
  // Another tab of the site: show the page there.
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    try {
      const focused = await client.focus();
      // navigate() works only on tabs this worker controls.
      if (client.navigate) return (await client.navigate(url)) || focused;
      return focused;
    } catch {
      /* not focusable or not controlled: try the next one, or open a new tab */
    }
  }
  return self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = targetUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(openTarget(url));
});
