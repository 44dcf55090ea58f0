// The accuracy page's chart: forecast against actual by week, the 80% interval as a band
// (ECharts, embedded). The table beside it holds the same figures for readers without the chart.
(function () {
  "use strict";
  var el = document.getElementById("chart");
  var data = document.getElementById("weeks-data");
  if (!el || !data || !window.echarts) { return; }
  var weeks = JSON.parse(data.textContent).weeks || [];
  var x = weeks.map(function (w) { return w.week; });
  var val = function (v) { return v === null || v === undefined ? "-" : Math.round(v * 10) / 10; };
  var lo = weeks.map(function (w) { return val(w.lo80); });
  var band = weeks.map(function (w) { return w.lo80 === null ? "-" : val(w.hi80 - w.lo80); });
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "axis",
      formatter: function (ps) {
        var w = weeks[ps[0].dataIndex];
        return w.week + "<br>" + el.dataset.forecast + ": " + val(w.forecast) + " (" + el.dataset.interval + " " +
          val(w.lo80) + " – " + val(w.hi80) + ")<br>" + el.dataset.actual + ": " + val(w.actual);
      }
    },
    legend: { top: 0, data: [el.dataset.forecast, el.dataset.actual, el.dataset.interval] },
    grid: { left: 56, right: 16, top: 40, bottom: 32 },
    xAxis: { type: "category", data: x, boundaryGap: false },
    yAxis: { type: "value", min: 0 },
    series: [
      { name: "lo", type: "line", data: lo, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: el.dataset.interval, type: "line", data: band, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
        areaStyle: { color: "#9bbce8", opacity: 0.6 }, itemStyle: { color: "#9bbce8" } },
      { name: el.dataset.forecast, type: "line", data: weeks.map(function (w) { return val(w.forecast); }),
        itemStyle: { color: "#0b4fa8" }, lineStyle: { width: 2, type: "dashed" } },
      { name: el.dataset.actual, type: "line", data: weeks.map(function (w) { return val(w.actual); }),
        itemStyle: { color: "#8b1a1a" }, lineStyle: { width: 2 } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "true";
})();
