// Costs page: the stacked chart (Chart.js, vendored), auto-submitting filters, share bars.
// Data comes from the JSON block #cost-chart-data (no inline script: the CSP forbids it).
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#db2777", "#7c3aed", "#0891b2", "#dc2626",
                 "#65a30d", "#ea580c", "#0f766e", "#94a3b8"];

  function formatMoney(value, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: currency ? "currency" : "decimal",
        currency: currency || undefined, maximumFractionDigits: 0 }).format(value);
    } catch (e) {
      return String(Math.round(value));
    }
  }

  function drawChart() {
    var canvas = document.getElementById("cost-chart");
    var source = document.getElementById("cost-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent || "{}");
    if (!data || !data.labels) { return; }
    var datasets = (data.datasets || []).map(function (d, i) {
      var color = d.label === "Other" ? "#cbd5e1" : PALETTE[i % PALETTE.length];
      return { label: d.label, data: d.data, backgroundColor: color, borderWidth: 0, borderRadius: 2,
               maxBarThickness: 42, stack: "cost" };
    });
    var chart = new window.Chart(canvas.getContext("2d"), {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false } },
          y: { stacked: true, beginAtZero: true,
               ticks: { callback: function (v) { return formatMoney(v, data.currency); } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + formatMoney(ctx.parsed.y, data.currency);
          } } }
        }
      }
    });
    canvas.setAttribute("data-rendered", String(datasets.length));
    window.skytallyCostChart = chart;
  }

  function shareBars() {
    document.querySelectorAll(".share-bar[data-share]").forEach(function (bar) {
      var share = parseFloat(bar.getAttribute("data-share")) || 0;
      bar.style.width = Math.max(0, Math.min(1, share)) * 60 + "px";
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.hasAttribute("data-autosubmit")) {
      var form = target.closest("form");
      if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
    }
  });

  function ready() { drawChart(); shareBars(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
