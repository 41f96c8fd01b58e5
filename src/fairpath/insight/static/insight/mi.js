/* MI trend charts: values, centre line, control limits, and out-of-control signals marked in red. */
(function () {
  "use strict";
  function draw(canvas) {
    var data = JSON.parse(canvas.dataset.chart);
    var suffix = data.unit === "rate" ? "%" : "";
    var signals = new Set(data.signals || []);
    var colours = data.values.map(function (_, i) { return signals.has(i) ? "#b42318" : "#0f5e63"; });
    var radii = data.values.map(function (_, i) { return signals.has(i) ? 5 : 2; });
    var datasets = [
      { label: "Value", data: data.values, borderColor: "#0f5e63", pointBackgroundColor: colours,
        pointBorderColor: colours, pointRadius: radii, borderWidth: 2, tension: 0 },
    ];
    if (data.upper) {
      var centre = data.values.map(function () { return data.centre; });
      datasets.push({ label: "Centre", data: centre, borderColor: "#4a5568", borderDash: [4, 3], pointRadius: 0, borderWidth: 1 });
      datasets.push({ label: "Upper limit", data: data.upper, borderColor: "#c2410c", borderDash: [2, 2], pointRadius: 0, borderWidth: 1, stepped: data.kind === "p" ? "middle" : false });
      datasets.push({ label: "Lower limit", data: data.lower, borderColor: "#c2410c", borderDash: [2, 2], pointRadius: 0, borderWidth: 1, stepped: data.kind === "p" ? "middle" : false });
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {
          legend: { labels: { boxWidth: 12 } },
          tooltip: { callbacks: { afterLabel: function (item) {
            var text = (data.signal_text || {})[String(item.dataIndex)];
            return item.datasetIndex === 0 && text ? "Signal: " + text : "";
          } } },
        },
        scales: { y: { ticks: { callback: function (v) { return v + suffix; } } }, x: { ticks: { maxTicksLimit: 8 } } },
      },
    });
  }
  function init() { document.querySelectorAll("canvas[data-chart]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.kpi-definition").forEach(function (d) { d.open = true; });
    Object.values(Chart.instances || {}).forEach(function (chart) { chart.resize(); });
  });
})();
