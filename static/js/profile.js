// The profile page: copy a new token, confirm revoking, keep the theme choice in step.
document.querySelectorAll("[data-copy-target]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.querySelector(button.dataset.copyTarget);
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      // No clipboard API (plain HTTP, an unfocused window): copy the selected text.
      input.select();
      if (!document.execCommand("copy")) {
        // Still selected: say so, rather than leave the click without an answer.
        button.querySelector("span").textContent = button.dataset.copyFailedLabel;
        return;
      }
    }
    button.querySelector("span").textContent = button.dataset.copiedLabel;
    button.querySelector("i").className = "bi bi-clipboard-check me-1";
  });
});
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
// The account's theme is saved by the form; make this browser's copy (theme.js) agree,
// so an older unsaved choice in this browser does not win after the reload.
document.getElementById("profile-form").addEventListener("submit", (event) => {
  const theme = event.target.elements.theme.value;
  try {
    window.localStorage.setItem("helpdesk.theme", theme);
    window.localStorage.removeItem("helpdesk.theme.unsaved");
  } catch {
    /* storage disabled: the account still has it */
  }
});
