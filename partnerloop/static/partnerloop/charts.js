// Renders every <canvas data-chart="ID"> with the Chart.js configuration stored as JSON in
// the element #ID (written by Django's json_script). No inline scripts, so the CSP holds.
// Every chart also has an accessible table beside it; the canvas is decoration for it.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    new Chart(canvas, JSON.parse(source.textContent));
  });
});
