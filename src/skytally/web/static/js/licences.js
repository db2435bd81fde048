// Licences page: the purchased / assigned / active chart (Chart.js, vendored) and
// auto-submitting filters. Data comes from #licence-chart-data (the CSP forbids inline scripts).
(function () {
  "use strict";
  var COLORS = ["#94a3b8", "#2563eb", "#16a34a", "#65a30d"];

  function drawChart() {
    var canvas = document.getElementById("licence-chart");
    var source = document.getElementById("licence-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent || "{}");
    if (!data || !data.labels) { return; }
    new window.Chart(canvas.getContext("2d"), {
      type: "bar",
      data: { labels: data.labels, datasets: data.datasets.map(function (d, i) {
        return { label: d.label, data: d.data, backgroundColor: COLORS[i % COLORS.length], borderWidth: 0, maxBarThickness: 28 };
      }) },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true } }, plugins: { legend: { position: "bottom" } } }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  function autosubmit() {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawChart(); autosubmit(); });
})();
