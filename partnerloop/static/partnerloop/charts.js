// Renders every <canvas data-chart="ID"> with the Chart.js configuration stored as JSON in
// the element #ID (written by Django's json_script). No inline scripts, so the CSP holds.
// Every chart also has an accessible table beside it; the canvas is decoration for it.
//
// Points that carry a `url` (e.g. {x, y, url, label}) are links: a click on one opens it,
// and its tooltip names it by its `label`. Keyboard users follow the same links in the
// table beside the chart.
function pointAt(chart, elements) {
  for (const element of elements) {
    const point = chart.data.datasets[element.datasetIndex].data[element.index];
    if (point && typeof point === "object" && point.url) return point;
  }
  return null;
}

function makePointsLinks(config) {
  const datasets = (config.data && config.data.datasets) || [];
  const linked = datasets.some((dataset) =>
    (dataset.data || []).some((point) => point && typeof point === "object" && point.url),
  );
  if (!linked) return;
  const options = (config.options = config.options || {});
  options.onClick = (event, elements, chart) => {
    const point = pointAt(chart, elements);
    if (point) window.location.assign(point.url);
  };
  options.onHover = (event, elements, chart) => {
    chart.canvas.style.cursor = pointAt(chart, elements) ? "pointer" : "default";
  };
  const plugins = (options.plugins = options.plugins || {});
  const tooltip = (plugins.tooltip = plugins.tooltip || {});
  tooltip.callbacks = tooltip.callbacks || {};
  tooltip.callbacks.label = (context) => {
    const point = context.raw || {};
    const where = `(${context.parsed.x}, ${context.parsed.y})`;
    return point.label ? `${point.label} ${where}` : `${context.dataset.label} ${where}`;
  };
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const config = JSON.parse(source.textContent);
    makePointsLinks(config);
    new Chart(canvas, config);
  });
});
