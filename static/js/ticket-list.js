// The ticket list: bulk selection, page size, confirmations (people: people.js).
// Everything also works without this script; it only makes the page quicker to use.

function setUpBulk() {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = document.querySelector("[data-bulk-all]");
  const rows = () => Array.from(document.querySelectorAll("[data-bulk-row]"));
  const count = form.querySelector("[data-bulk-count]");
  const submit = form.querySelector("[data-bulk-submit]");
  const action = form.querySelector("[data-bulk-action]");
  const hint = count.textContent;
  const template = form.dataset.selectedTemplate || "{count}";

  function refresh() {
    const boxes = rows();
    const chosen = boxes.filter((box) => box.checked).length;
    count.textContent = chosen ? template.replace("{count}", String(chosen)) : hint;
    submit.disabled = chosen === 0;
    if (all) {
      all.checked = chosen > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    boxes.forEach((box) => box.closest("tr")?.classList.toggle("table-active", box.checked));
  }

  function showExtraFields() {
    form.querySelectorAll("[data-bulk-for]").forEach((field) => {
      const wanted = field.dataset.bulkFor === action.value;
      field.hidden = !wanted;
      field.required = wanted;
    });
    if (action.value === "macro") loadMacros();
  }

  // The macros are fetched when "Run a macro" is first chosen: the list's queries stay few.
  let macrosLoaded = false;
  function loadMacros() {
    const select = form.querySelector("[data-macro-menu]");
    if (!select || macrosLoaded) return;
    macrosLoaded = true;
    fetch(select.dataset.macroMenu, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        for (const macro of data.macros) {
          select.append(new Option(macro.queue ? `${macro.name} (${macro.queue})` : macro.name, macro.id));
        }
      })
      .catch(() => {
        macrosLoaded = false;
      });
  }

  all?.addEventListener("change", () => {
    rows().forEach((box) => {
      box.checked = all.checked;
    });
    refresh();
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches?.("[data-bulk-row]")) refresh();
  });
  action.addEventListener("change", showExtraFields);
  showExtraFields();
  refresh();
}

function setUpShortcuts() {
  document.querySelectorAll("[data-fill]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.querySelector(button.dataset.fill);
      if (!target) return;
      target.value = button.dataset.fillValue;
      target.form?.requestSubmit();
    });
  });
  document.querySelectorAll("[data-submit-on-change]").forEach((field) => {
    field.addEventListener("change", () => field.form?.requestSubmit());
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      // eslint-disable-next-line no-alert
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

// Shorter, shareable URLs: leave out empty fields and those left at their default.
function setUpCleanUrls() {
  const form = document.getElementById("ticket-filters");
  if (!form) return;
  form.addEventListener("formdata", (event) => {
    const data = event.formData;
    const defaults = {};
    form.querySelectorAll("[data-default]").forEach((field) => {
      defaults[field.name] = field.dataset.default;
    });
    document.querySelectorAll('[form="ticket-filters"][data-default]').forEach((field) => {
      defaults[field.name] = field.dataset.default;
    });
    for (const name of new Set(data.keys())) {
      const values = data.getAll(name).filter((value) => value !== "");
      const isDefault = values.length === 1 && values[0] === defaults[name];
      data.delete(name);
      if (!isDefault) values.forEach((value) => data.append(name, value));
    }
  });
}

// The filter panel sticks below the top of the window; until the page scrolls it starts
// lower down, so its height follows its top and "Apply" at its foot stays in view (list.css).
function setUpFilterPanelHeight() {
  const panel = document.querySelector("[data-filter-panel]");
  if (!panel) return;
  let pending = false;
  function update() {
    pending = false;
    const top = Math.max(0, Math.round(panel.getBoundingClientRect().top));
    panel.style.setProperty("--hd-filter-top", `${top}px`);
  }
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(update);
  }
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule);
  update();
}

setUpBulk();
setUpFilterPanelHeight();
setUpShortcuts();
setUpCleanUrls();
