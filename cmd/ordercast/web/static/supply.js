// Charts of the upstream pages, drawn with Apache ECharts from the JSON the page embeds: projected
// stock against the stock limits (the balance), and sales by area or outlet format (the manufacturer's
// page). The tables beside them hold the same figures, so the pages read without the script.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  function data(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  var charts = [];
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  function flat(n, v) {
    var out = [];
    for (var i = 0; i < n; i++) out.push(v);
    return out;
  }
  var stock = data("stock-chart-data");
  if (stock && stock.weeks) {
    var n = stock.weeks.length;
    var series = [
      { name: stock.labels[0], type: "line", data: stock.projected, lineStyle: { width: 3 }, color: "#0b4fa8" },
      { name: stock.labels[1], type: "bar", data: stock.demand, color: "#9aa5b1" }
    ];
    if (stock.lower != null) series.push({ name: stock.labels[2], type: "line", step: "middle", data: flat(n, stock.lower), lineStyle: { type: "dashed" }, symbol: "none", color: "#b3261e" });
    if (stock.upper != null) series.push({ name: stock.labels[3], type: "line", step: "middle", data: flat(n, stock.upper), lineStyle: { type: "dashed" }, symbol: "none", color: "#8a4b00" });
    draw("stock-chart", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: stock.weeks }, yAxis: { type: "value", min: 0 }, series: series
    });
  }
  var sales = data("sales-chart-data");
  if (sales && sales.groups) {
    draw("sales-chart", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 40, bottom: 64 },
      xAxis: { type: "category", data: sales.groups, axisLabel: { rotate: 30 } }, yAxis: { type: "value" },
      series: [
        { name: sales.labels[0], type: "bar", data: sales.delivered, color: "#0b4fa8" },
        { name: sales.labels[1], type: "bar", data: sales.requested, color: "#9aa5b1" }
      ]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
