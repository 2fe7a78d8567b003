// Runs in <head> before the stylesheet paints anything: picks the colour theme and
// decides whether this is the first page of the browser session (splash screen).
(function () {
  "use strict";
  var root = document.documentElement;
  var account = root.getAttribute("data-theme-account");
  var stored = null;
  try {
    stored = window.localStorage.getItem("helpdesk.theme");
  } catch (e) {
    /* storage disabled: fall back to the account or auto */
  }
  // A signed-in user's saved preference follows them from device to device.
  var pref = account || stored || "auto";
  if (account && stored !== account) {
    try {
      window.localStorage.setItem("helpdesk.theme", account);
    } catch (e) {
      /* ignore */
    }
  }
  var dark =
    pref === "dark" ||
    (pref === "auto" &&
      window.matchMedia &&
      window.matchMedia("(prefers-color-scheme: dark)").matches);
  root.setAttribute("data-bs-theme", dark ? "dark" : "light");
  root.setAttribute("data-theme-pref", pref);

  var seen = "1";
  try {
    seen = window.sessionStorage.getItem("helpdesk.splash");
    window.sessionStorage.setItem("helpdesk.splash", "1");
  } catch (e) {
    /* without session storage the splash is skipped rather than repeated */
  }
  if (!seen) root.classList.add("splash-pending");
})();
