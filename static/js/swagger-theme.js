// The API documentation (Swagger UI) in the site's colour theme: theme-init.js has chosen
// light or dark from the account or the browser; Swagger UI's own dark theme is the
// "dark-mode" class on <html>. Follows the system setting when the choice is "auto".
(function () {
  "use strict";
  var root = document.documentElement;
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    var pref = root.getAttribute("data-theme-pref") || "auto";
    var dark = pref === "dark" || (pref === "auto" && media.matches);
    root.setAttribute("data-bs-theme", dark ? "dark" : "light");
    root.classList.toggle("dark-mode", dark);
  }
  apply();
  media.addEventListener("change", apply);
})();
