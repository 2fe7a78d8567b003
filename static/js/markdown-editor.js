// Markdown editors with "Write" and "Preview" tabs. The preview is rendered by the server
// (the same sanitiser as the saved text), so what you see is what will be shown.
import { postForm } from "./common.js";

async function renderPreview(editor, text) {
  const data = await postForm(editor.dataset.previewUrl, { text });
  return data.html;
}

function message(pane, text) {
  const line = document.createElement("p");
  line.className = "text-body-secondary fst-italic mb-0";
  line.textContent = text;
  pane.replaceChildren(line);
}

function setup(editor) {
  const tabs = editor.querySelector("[data-md-tabs]");
  const write = editor.querySelector('[data-md-pane="write"]');
  const preview = editor.querySelector('[data-md-pane="preview"]');
  const textarea = write?.querySelector("textarea");
  if (!tabs || !preview || !textarea) return;
  tabs.classList.remove("d-none");
  let request = 0;

  async function show(name) {
    for (const tab of tabs.querySelectorAll("[data-md-tab]")) {
      const active = tab.dataset.mdTab === name;
      tab.classList.toggle("active", active);
      tab.setAttribute("aria-selected", String(active));
    }
    write.classList.toggle("d-none", name !== "write");
    preview.classList.toggle("d-none", name !== "preview");
    if (name === "write") {
      textarea.focus();
      return;
    }
    preview.style.minHeight = `${textarea.offsetHeight || 0}px`;
    const text = textarea.value;
    if (!text.trim()) {
      message(preview, editor.dataset.emptyText);
      return;
    }
    const current = ++request;
    message(preview, editor.dataset.loadingText);
    try {
      const html = await renderPreview(editor, text);
      // The HTML is sanitised on the server (tickets/markdown.py).
      if (current === request) preview.innerHTML = html;
    } catch {
      if (current === request) message(preview, editor.dataset.errorText);
    }
  }

  tabs.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-md-tab]");
    if (tab) show(tab.dataset.mdTab);
  });
  // Sending the form from the preview still sends the text: it is only hidden.
  textarea.form?.addEventListener("submit", () => show("write"));
}

document.querySelectorAll("[data-markdown-editor]").forEach(setup);
