// Theme switch: light / dark / auto, kept in the browser and, when signed in, on the account.
import { postForm } from "./http.js";

const STORAGE_KEY = "helpdesk.theme";
const root = document.documentElement;
const media = window.matchMedia("(prefers-color-scheme: dark)");

function resolve(pref) {
  return pref === "dark" || (pref === "auto" && media.matches) ? "dark" : "light";
}

function apply(pref) {
  root.setAttribute("data-theme-pref", pref);
  root.setAttribute("data-bs-theme", resolve(pref));
  document.querySelectorAll("[data-theme-value]").forEach((button) => {
    const active = button.dataset.themeValue === pref;
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", String(active));
  });
  const icon = document.querySelector("[data-theme-icon]");
  const current = document.querySelector(`[data-theme-value="${pref}"] [data-icon]`);
  if (icon && current) icon.className = `bi ${current.dataset.icon}`;
}

async function choose(pref) {
  try {
    window.localStorage.setItem(STORAGE_KEY, pref);
  } catch {
    /* storage disabled: the account still remembers it */
  }
  apply(pref);
  const url = root.dataset.themeUrl;
  if (url && root.dataset.signedIn === "true") {
    root.setAttribute("data-theme-account", pref);
    try {
      await postForm(url, { theme: pref });
    } catch (error) {
      // The browser keeps the choice; the account catches up on the next switch.
      console.warn("theme not saved on the account", error);
    }
  }
}

apply(root.getAttribute("data-theme-pref") || "auto");
media.addEventListener("change", () => apply(root.getAttribute("data-theme-pref") || "auto"));
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-theme-value]");
  if (button) {
    event.preventDefault();
    choose(button.dataset.themeValue);
  }
});
