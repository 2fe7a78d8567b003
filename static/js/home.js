// The home page's figures, live: it listens on the live connection (live.js) to the boards
// of the queues it counts and to the user's notifications, and on a relevant event fetches
// its figures fragment again (debounced: a burst of moves is one request). No polling.
const root = document.querySelector("[data-home-figures]");
const DEBOUNCE = 300;
const RELEVANT = new Set(["ticket.moved", "ticket.changed", "ticket.commented", "notification"]);

let timer = null;
let inFlight = false;
let again = false;

async function refresh() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const response = await fetch(root.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.ok) {
      root.innerHTML = await response.text();
      root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
    }
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(refresh, DEBOUNCE);
}

if (root) {
  const queues = (root.dataset.queues || "").split(",").filter(Boolean).map(Number);
  if (queues.length) window.helpdeskLive?.subscribe({ board: queues });
  let connectedBefore = false;
  document.addEventListener("helpdesk:live", (event) => {
    const type = event.detail?.type;
    if (RELEVANT.has(type)) schedule();
    // After a reconnect, catch up on what was missed while away.
    if (type === "hello") {
      if (connectedBefore) schedule();
      connectedBefore = true;
    }
  });
}

// Managers: the dashboard's sections below the home blocks, fetched once the page is shown
// (the page itself stays quick); its charts are drawn by the dashboard's own module.
const embed = document.querySelector("[data-dashboard-embed]");

async function loadDashboard() {
  try {
    const response = await fetch(embed.dataset.url, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) throw new Error(String(response.status));
    embed.innerHTML = await response.text();
    await import(embed.dataset.chartsSrc);
    embed.dataset.loaded = "true";
  } catch {
    embed.querySelector("[data-embed-loading]")?.remove();
    const failed = embed.querySelector("[data-embed-failed]");
    if (failed) failed.hidden = false;
  } finally {
    embed.removeAttribute("aria-busy");
  }
}

if (embed) loadDashboard();
