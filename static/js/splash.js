// Splash screen on the first page of a browser session. theme-init.js decides whether
// to show it; CSS hides it by itself within a second, this only lets people skip it.
const root = document.documentElement;
const splash = document.getElementById("splash");

function finish() {
  root.classList.remove("splash-pending");
}

if (splash && root.classList.contains("splash-pending")) {
  const skip = () => {
    splash.classList.add("splash-skip");
    window.setTimeout(finish, 200);
  };
  splash.addEventListener("animationend", (event) => {
    if (event.target === splash) finish();
  });
  splash.addEventListener("click", skip, { once: true });
  document.addEventListener("keydown", skip, { once: true });
  // Safety net if animations are disabled entirely.
  window.setTimeout(finish, 1200);
}
