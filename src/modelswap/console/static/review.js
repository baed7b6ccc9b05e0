// Review page shortcuts: 1-4 give a verdict, n / p move between pairs, d toggles the word diff.
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
  const button = document.querySelector(`#verdict button[data-key="${e.key}"]`);
  if (button) { e.preventDefault(); button.click(); return; }
  const link = { n: "#next", p: "#prev" }[e.key];
  if (link) { const a = document.querySelector(link); if (a) { e.preventDefault(); a.click(); } return; }
  if (e.key === "d") { document.getElementById("toggle-view").click(); }
});
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("toggle-view");
  if (!toggle) return;
  toggle.addEventListener("click", () => {
    const pair = document.getElementById("pair");
    pair.classList.toggle("rv-view-diff");
    pair.classList.toggle("rv-view-text");
  });
});
