// The Redmine panel of a ticket's page: an agent choosing an assignee Redmine would refuse
// (not a member of the project with a role that takes issues) is told so before
// the change is saved, and the choice is marked in the list.
const panel = document.querySelector("[data-redmine-assignable]");
const select = document.getElementById("field-assignee");

if (panel && select) {
  const assignable = new Set(panel.dataset.redmineAssignable.split(",").filter(Boolean));
  for (const option of select.options) {
    if (option.value && !assignable.has(option.value)) {
      option.dataset.redmineOutside = option.textContent;
      option.textContent = `${option.textContent} (${panel.dataset.redmineOutside})`;
    }
  }
  let saved = select.value;
  // Capturing on the select runs before ticket.js submits the change.
  select.addEventListener(
    "change",
    (event) => {
      const option = select.selectedOptions[0];
      const name = option?.dataset.redmineOutside;
      if (name !== undefined && !window.confirm(panel.dataset.redmineConfirm.replace("{name}", name))) {
        select.value = saved;
        event.stopImmediatePropagation();
        return;
      }
      saved = select.value;
    },
    { capture: true },
  );
}
