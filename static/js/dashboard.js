// The dashboard's charts, drawn with Chart.js (static/vendor, loaded before this module as
// window.Chart) from the JSON block #dashboard-charts; every chart has its table beside it.
// Colours come from the theme's CSS variables and the charts are drawn again when the
// theme changes (light/dark).
const specs = JSON.parse(document.getElementById("dashboard-charts")?.textContent || "[]");
const charts = new Map();
// Readable on light and dark backgrounds alike.
const PALETTE = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#d63384"];

function themeColours() {
  const style = getComputedStyle(document.body);
  return {
    text: style.getPropertyValue("--bs-body-color").trim() || "#212529",
    grid: style.getPropertyValue("--bs-border-color").trim() || "#dee2e6",
    background: style.getPropertyValue("--bs-body-bg").trim() || "#fff",
  };
}

function datasets(spec, colours) {
  const wanted = spec.options?.series ? spec.series.slice(0, spec.options.series) : spec.series;
  return wanted.map((series, index) => {
    const colour = PALETTE[index % PALETTE.length];
    if (spec.type === "doughnut") {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: spec.options?.colours || PALETTE,
        borderColor: colours.background,
      };
    }
    return {
      label: series.label,
      data: series.data,
      backgroundColor: spec.type === "line" ? colour : `${colour}cc`,
      borderColor: colour,
      tension: 0,
      pointRadius: spec.labels.length > 40 ? 0 : 2,
    };
  });
}

function config(spec) {
  const colours = themeColours();
  const horizontal = Boolean(spec.options?.horizontal);
  // Counts are whole numbers; only the medians (hours) have decimals.
  const ticks = { color: colours.text, precision: spec.options?.decimals ? undefined : 0 };
  const axes =
    spec.type === "doughnut"
      ? {}
      : {
          x: { ticks, grid: { color: colours.grid }, beginAtZero: true },
          y: { ticks, grid: { color: colours.grid }, beginAtZero: true },
        };
  return {
    type: spec.type,
    data: { labels: spec.labels, datasets: datasets(spec, colours) },
    options: {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: axes,
      plugins: {
        legend: {
          display: spec.type === "doughnut" || spec.series.length > 1,
          labels: { color: colours.text, boxWidth: 12 },
        },
      },
    },
  };
}

function drawAll() {
  if (!window.Chart) return;
  for (const spec of specs) {
    const canvas = document.querySelector(`canvas[data-chart="${CSS.escape(spec.name)}"]`);
    if (!canvas) continue;
    charts.get(spec.name)?.destroy();
    charts.set(spec.name, new window.Chart(canvas, config(spec)));
    canvas.dataset.drawn = document.documentElement.dataset.bsTheme || "light";
  }
}

drawAll();
new MutationObserver(drawAll).observe(document.documentElement, {
  attributes: true,
  attributeFilter: ["data-bs-theme"],
});
