// Downloads of exports with a progress indicator: the link's file is fetched as a stream;
// a CSV export tells its row count (X-Export-Rows) and each line received is a row; a
// workbook has a length, so the bytes received tell the progress.
import { format } from "./common.js";

const box = document.querySelector("[data-export-progress]");

function show(text, share) {
  if (!box) return;
  box.hidden = false;
  box.querySelector("[data-export-text]").textContent = text;
  const bar = box.querySelector("[data-export-bar]");
  bar.style.width = `${Math.round(Math.min(1, share) * 100)}%`;
}

function filenameOf(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

async function download(link) {
  const response = await fetch(link.href, { credentials: "same-origin" });
  if (!response.ok || !response.body) throw new Error(String(response.status));
  const rows = Number(response.headers.get("X-Export-Rows") || 0);
  const length = Number(response.headers.get("Content-Length") || 0);
  const isCsv = (response.headers.get("Content-Type") || "").startsWith("text/csv");
  const reader = response.body.getReader();
  const parts = [];
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    bytes += value.length;
    if (isCsv) for (const byte of value) if (byte === 10) lines += 1;
    if (isCsv && rows) {
      const done = Math.max(0, Math.min(rows, lines - 1));
      show(format(box?.dataset.labelRows, { done, total: rows }), done / rows);
    } else {
      show(format(box?.dataset.labelBytes, { done: Math.round(bytes / 1024) }), length ? bytes / length : 0.5);
    }
  }
  const blob = new Blob(parts, { type: response.headers.get("Content-Type") || "" });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filenameOf(response, "export");
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  show(box?.dataset.labelDone || "", 1);
  if (box) box.dataset.state = "done";
  window.setTimeout(() => {
    if (box) box.hidden = true;
  }, 3000);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-export]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  if (box) box.dataset.state = "running";
  show(box?.dataset.labelStart || "", 0);
  download(link).catch(() => {
    if (box) box.dataset.state = "failed";
    show(box?.dataset.labelFailed || "", 0);
  });
});
