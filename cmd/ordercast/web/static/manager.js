// The account manager's charts, drawn with Apache ECharts from the data the page embeds in the
// data-chart attribute of their container: the bulletin's 12 weeks of trends (one small chart per
// indicator, the manager's line beside the company's) and one outlet drilled down on one chart. The
// pages hold the same figures as tables for those who do not see the charts.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var charts = [];
  var palette = ["#0b4fa8", "#8b1a1a", "#1e7b34", "#b26b00", "#5b2a86"];

  function draw(el, option) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  }

  var trends = document.getElementById("trend-charts");
  if (trends) {
    var t = JSON.parse(trends.dataset.chart);
    t.charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (!el) return;
      draw(el, {
        color: palette,
        animation: false,
        title: { text: c.title, left: 0, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        legend: { bottom: 0 },
        grid: { left: 44, right: 12, top: 56, bottom: 56 },
        xAxis: { type: "category", data: t.weeks.map(function (w) { return w.slice(5); }) },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: c.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
        })
      });
    });
  }

  // The outlet's chart: bars of cartons requested and granted, lines of what was delivered, stock and
  // sell-out, the forecast dashed with its 80% interval as a band (the low bound, then the band's
  // width stacked on it).
  var outlet = document.getElementById("outlet-chart");
  if (outlet) {
    var o = JSON.parse(outlet.dataset.chart);
    var low = null;
    var series = [];
    o.series.forEach(function (s) {
      if (s.kind === "bar") series.push({ name: s.name, type: "bar", data: s.data });
      else if (s.kind === "line") series.push({ name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 });
      else if (s.kind === "forecast") series.push({ name: s.name, type: "line", data: s.data, lineStyle: { type: "dashed", width: 2 }, symbolSize: 6 });
      else if (s.kind === "low") low = s.data;
      else if (s.kind === "high" && low) {
        series.push({ name: s.name, type: "line", stack: "interval", data: low, lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } });
        series.push({ name: s.name, type: "line", stack: "interval", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: "rgba(178, 107, 0, 0.25)" },
          data: s.data.map(function (h, i) { return h == null || low[i] == null ? null : h - low[i]; }) });
      }
    });
    // Its eight series' legend takes three lines on a phone: the plot leaves them room below the
    // weeks' labels.
    var legendRoom = outlet.clientWidth < 560 ? 120 : 72;
    draw(outlet, {
      color: ["#0b4fa8", "#8b1a1a", "#1e7b34", "#b26b00", "#b26b00", "#b26b00", "#5b2a86", "#3a3d42"],
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 44, right: 12, top: 28, bottom: legendRoom },
      xAxis: { type: "category", data: o.weeks.map(function (w) { return w.slice(5); }) },
      yAxis: { type: "value", name: o.cartons },
      series: series
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
