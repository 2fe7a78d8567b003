// Theme switch: light / dark / auto, kept in the browser and, when signed in, on the account.
import { postForm } from "./common.js";

const STORAGE_KEY = "helpdesk.theme";
const UNSAVED_KEY = "helpdesk.theme.unsaved";
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

function remember(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    /* storage disabled: the account still remembers the theme */
  }
}

async function saveOnAccount(pref) {
  const url = root.dataset.themeUrl;
  if (!url || root.dataset.signedIn !== "true") {
    // Chosen before signing in (e.g. on the sign-in page): goes to the account after.
    remember(UNSAVED_KEY, "1");
    return;
  }
  try {
    await postForm(url, { theme: pref });
    root.setAttribute("data-theme-account", pref);
    remember(UNSAVED_KEY, null);
  } catch (error) {
    // Keep the choice in this browser and send it again on the next page.
    remember(UNSAVED_KEY, "1");
    console.warn("theme not saved on the account yet", error);
  }
}

function choose(pref) {
  remember(STORAGE_KEY, pref);
  apply(pref);
  return saveOnAccount(pref);
}

apply(root.getAttribute("data-theme-pref") || "auto");
try {
  if (window.localStorage.getItem(UNSAVED_KEY) === "1") {
    saveOnAccount(root.getAttribute("data-theme-pref") || "auto");
  }
} catch {
  /* storage disabled */
}
media.addEventListener("change", () => apply(root.getAttribute("data-theme-pref") || "auto"));
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-theme-value]");
  if (button) {
    event.preventDefault();
    choose(button.dataset.themeValue);
  }
});
