// Skip links ("Skip to content", and "Skip to reply" on a ticket): following the link
// only moves the browser's reading position; this puts the keyboard focus there too, so
// the next Tab continues from the target and a text area can be typed in at once.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-skip-link]");
  if (!link) return;
  const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
});
