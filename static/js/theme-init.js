// Runs in <head> before the stylesheet paints anything: picks the colour theme and
// decides whether this is the first page of the browser session (splash screen).
(function () {
  "use strict";
  var root = document.documentElement;
  var account = root.getAttribute("data-theme-account");
  var stored = null;
  var unsaved = false;
  try {
    stored = window.localStorage.getItem("helpdesk.theme");
    unsaved = window.localStorage.getItem("helpdesk.theme.unsaved") === "1";
  } catch (e) {
    /* storage disabled: fall back to the account or auto */
  }
  // A signed-in user's saved preference follows them from device to device, unless
  // this browser holds a newer choice the account did not get yet (theme.js retries).
  var pref = (unsaved && stored) || account || stored || "auto";
  if (account && !unsaved && stored !== account) {
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

  // A cookie without expiry lives as long as the browser session, in every tab.
  if (navigator.cookieEnabled && document.cookie.indexOf("helpdesk_splash=1") === -1) {
    document.cookie = "helpdesk_splash=1; path=/; SameSite=Lax";
    root.classList.add("splash-pending");
  }
})();
