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
        title: { text: c.title, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        legend: { top: 24 },
        grid: { left: 44, right: 12, top: 60, bottom: 28 },
        xAxis: { type: "category", data: t.weeks.map(function (w) { return w.slice(5); }) },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: c.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
        })
      });
    });
  }

  var outlet = document.getElementById("outlet-chart");
  if (outlet) {
    var o = JSON.parse(outlet.dataset.chart);
    draw(outlet, {
      color: palette,
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 56, bottom: 28 },
      xAxis: { type: "category", data: o.cycles.map(function (w) { return w.slice(5); }) },
      yAxis: [{ type: "value", name: o.cartons }, { type: "value", name: o.yuan, splitLine: { show: false } }],
      series: o.series.map(function (s) {
        if (s.kind === "bar") return { name: s.name, type: "bar", data: s.data };
        if (s.kind === "line") return { name: s.name, type: "line", yAxisIndex: s.axis || 0, data: s.data, connectNulls: true };
        return { name: s.name, type: "scatter", data: s.data, symbolSize: 14 };
      })
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
