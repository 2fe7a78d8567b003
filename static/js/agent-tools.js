// The agent's tools on the ticket page: completion in the reply box (Tribute, from
// static/vendor/tributejs) for @mentions and for canned replies ("::" or the button), and
// the macro menu. Their data is fetched when first needed (tickets/views/agent_tools.py).

const form = document.querySelector("[data-comment-form]");
const textarea = form?.querySelector("textarea[name=body]");
const internalSwitch = form?.querySelector("input[name=is_internal]");
const csrf = () => document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
const isInternal = () => Boolean(internalSwitch?.checked);

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text == null ? "" : String(text);
  return div.innerHTML;
}

async function getJson(url) {
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

// --- Mentions: people who may read the comment, by name or login ---------------------------
function mentionValues(text, callback) {
  const url = new URL(form.dataset.peopleUrl, window.location.href);
  url.searchParams.set("q", text);
  if (isInternal()) url.searchParams.set("internal", "1");
  getJson(url)
    .then((data) => callback(data.people))
    .catch(() => callback([]));
}

const mentions = {
  trigger: "@",
  values: mentionValues,
  lookup: (person) => `${person.name} ${person.username}`,
  fillAttr: "username",
  // The login is the stable reference; pages show the person's name instead.
  selectTemplate: (item) => (item ? `@${item.original.username}` : ""),
  menuItemTemplate: (item) =>
    `<span class="fw-semibold">${escapeHtml(item.original.name)}</span> ` +
    `<span class="text-body-secondary small">@${escapeHtml(item.original.username)}` +
    `${item.original.role ? ` · ${escapeHtml(item.original.role)}` : ""}</span>`,
  noMatchTemplate: () =>
    `<li class="text-body-secondary small px-2">${escapeHtml(form.dataset.msgNoPeople)}</li>`,
  requireLeadingSpace: true,
  searchOpts: { pre: "", post: "" },
  menuShowMinLength: 0,
};

// --- Canned replies: "::" and a title, or the button -------------------------------------
let replies = null;
function replyValues(text, callback) {
  const done = () => callback(replies);
  if (replies) return done();
  getJson(form.dataset.repliesUrl)
    .then((data) => {
      replies = data.replies;
      done();
    })
    .catch(() => callback([]));
}

function countUse(reply) {
  const body = new FormData();
  body.set("csrfmiddlewaretoken", csrf());
  if (isInternal()) body.set("internal", "1");
  fetch(reply.use_url, { method: "POST", body, credentials: "same-origin" }).catch(() => {});
}

const canned = {
  trigger: "::",
  values: replyValues,
  lookup: (reply) => `${reply.title} ${reply.preview}`,
  fillAttr: "title",
  selectTemplate: (item) => {
    if (!item) return "";
    countUse(item.original);
    return isInternal() ? item.original.text_internal : item.original.text;
  },
  menuItemTemplate: (item) =>
    `<span class="fw-semibold">${escapeHtml(item.original.title)}</span> ` +
    `<span class="badge text-bg-secondary">${escapeHtml(item.original.scope)}</span>` +
    `<br><span class="text-body-secondary small">${escapeHtml(item.original.preview)}</span>`,
  noMatchTemplate: () =>
    `<li class="text-body-secondary small px-2">${escapeHtml(form.dataset.msgNoReplies)}</li>`,
  requireLeadingSpace: false,
  allowSpaces: true,
  menuShowMinLength: 0,
  menuItemLimit: 12,
};

if (textarea && window.Tribute) {
  const collection = [mentions];
  if (form.dataset.repliesUrl) collection.push(canned);
  const tribute = new window.Tribute({
    collection,
    containerClass: "tribute-container hd-completion",
    selectClass: "active",
  });
  tribute.attach(textarea);
  textarea.setAttribute("aria-autocomplete", "list");
  document.querySelector("[data-canned-open]")?.addEventListener("click", () => {
    textarea.focus();
    // Opens the same list as typing "::" at the cursor.
    tribute.showMenuForCollection(textarea, collection.indexOf(canned));
  });
}

// --- Macros: the menu is filled when first opened ----------------------------------------
const dropdown = document.querySelector("[data-macro-dropdown]");
if (dropdown) {
  const list = dropdown.querySelector("[data-macro-list]");
  const status = dropdown.querySelector("[data-macro-status]");
  let loaded = false;
  dropdown.addEventListener("show.bs.dropdown", () => {
    if (loaded) return;
    loaded = true;
    getJson(dropdown.dataset.url)
      .then((data) => {
        if (!data.macros.length) {
          status.textContent = status.dataset.emptyText;
          return;
        }
        status.remove();
        for (const macro of data.macros) {
          const button = document.createElement("button");
          button.type = "submit";
          button.name = "macro";
          button.value = macro.id;
          button.className = "dropdown-item";
          button.dataset.testid = "macro-item";
          button.textContent = macro.name;
          list.append(button);
        }
        list.querySelector("button")?.focus();
      })
      .catch(() => {
        loaded = false;
        status.textContent = status.dataset.errorText;
      });
  });
}
