/* Resources & Tags: the coverage chart (share of resources and of cost carrying each key). */
(function () {
  var el = document.getElementById("coverage-data");
  var canvas = document.getElementById("coverage-chart");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  var sets = [{ label: "% of resources", data: data.resources, backgroundColor: "#3b82f6" }];
  if (data.cost.some(function (v) { return v !== null; })) {
    sets.push({ label: "% of cost", data: data.cost, backgroundColor: "#f59e0b" });
  }
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: sets },
    options: { indexAxis: "y", responsive: true, animation: false,
      scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } } }
  });
})();

/* A push or sync running on this page: once its job finishes, reload so that the pending
   changes, conflicts and resources show what it did. */
(function () {
  var active = false;
  document.body.addEventListener("htmx:afterSwap", function () {
    var panel = document.getElementById("job-panel");
    if (!panel) return;
    var status = panel.getAttribute("data-status");
    if (status === "queued" || status === "running") { active = true; return; }
    if (active) { active = false; window.location.reload(); }
  });
})();
