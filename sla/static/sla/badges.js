// SLA badges of list rows and board cards turn amber at the warning time and red at the
// due time while the page stays open, without a reload: a badge of a running target
// carries its times (data-sla-warn, data-sla-due, ISO 8601) from the server.
const CLASSES = {
  running: ["text-bg-light", "border"],
  at_risk: ["text-bg-warning"],
  breached: ["text-bg-danger"],
};
const ALL = Object.values(CLASSES).flat();

const narrow = (() => {
  try {
    return new Intl.DurationFormat(document.documentElement.lang || undefined, { style: "narrow" });
  } catch {
    return null; // an older browser keeps the server's text until the next load
  }
})();

function timeLeft(minutes) {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return days ? { days, hours } : hours ? { hours, minutes: minutes % 60 } : { minutes };
}

function refresh(badge, now) {
  const due = Date.parse(badge.dataset.slaDue);
  const warn = badge.dataset.slaWarn ? Date.parse(badge.dataset.slaWarn) : Infinity;
  const state = now >= due ? "breached" : now >= warn ? "at_risk" : "running";
  const text = badge.querySelector("[data-sla-text]");
  if (state === "breached") {
    text.textContent = badge.dataset.labelBreached;
    badge.title = badge.dataset.titleBreached;
    badge.querySelector(".visually-hidden").textContent = ` ${badge.dataset.titleBreached}`;
    delete badge.dataset.slaDue; // nothing more to count
  } else if (narrow) {
    const left = narrow.format(timeLeft(Math.max(0, Math.floor((due - now) / 60000))));
    text.textContent = left;
    badge.title = badge.dataset.titleLeft.replace("{time}", left);
    badge.querySelector(".visually-hidden").textContent = ` ${badge.title}`;
  }
  if (badge.dataset.sla !== state) {
    badge.classList.remove(...ALL);
    badge.classList.add(...CLASSES[state]);
    badge.dataset.sla = state;
  }
}

function refreshAll() {
  const now = Date.now();
  for (const badge of document.querySelectorAll("[data-sla-due]")) refresh(badge, now);
}

setInterval(refreshAll, 15000);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshAll();
});
