// The live connection: one WebSocket per tab at /ws/, reconnecting with backoff.
// Other modules listen for "helpdesk:live" events on document.
const indicator = document.querySelector("[data-live-indicator]");
const CLOSE_UNAUTHENTICATED = 4401;
let attempt = 0;
let socket = null;

function show(state) {
  if (!indicator) return;
  indicator.dataset.state = state;
  const label = indicator.dataset[`label${state[0].toUpperCase()}${state.slice(1)}`];
  if (label) {
    indicator.setAttribute("title", label);
    indicator.setAttribute("aria-label", label);
  }
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}/ws/`);
  show("connecting");
  socket.addEventListener("open", () => {
    attempt = 0;
    show("online");
  });
  socket.addEventListener("message", (event) => {
    let payload;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return;
    }
    document.dispatchEvent(new CustomEvent("helpdesk:live", { detail: payload }));
  });
  socket.addEventListener("close", (event) => {
    show("offline");
    if (event.code === CLOSE_UNAUTHENTICATED) return;
    attempt += 1;
    const delay = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random());
    window.setTimeout(connect, delay);
  });
}

connect();
