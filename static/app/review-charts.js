// Rater analytics on the ranking page (review/office.py `ranking`): three bar charts drawn with
// the vendored ECharts from the page's json_script data. The same figures are in plain tables
// below the charts for screen readers and phones; the charts are only a quicker way to see
// outliers. No inline scripts or styles (CSP): sizes come from app.css and element.style.
(function () {
  "use strict";

  var RED = "#b02a37";
  var BLUE = "#0d6efd";
  var GREY = "#6c757d";
  var TEAL = "#20809a";
  var charts = [];

  function data() {
    var node = document.getElementById("review-chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  // Horizontal bars, one row per name: long Chinese names stay readable on a phone. `series`
  // is [{name, values}]; with more than one a legend names them.
  function bars(id, title, names, series, options) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) {
      return;
    }
    if (!names.length) {
      node.hidden = true;
      return;
    }
    var many = series.length > 1;
    node.style.height = Math.max(180, (many ? 96 : 70) + names.length * (many ? 44 : 34)) + "px";
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      title: { text: title, left: 8, top: 6, textStyle: { fontSize: 14 } },
      legend: many ? { top: 30, left: 8, data: series.map(function (s) { return s.name; }) } : undefined,
      grid: { left: 8, right: 56, top: many ? 64 : 40, bottom: 24, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: options.format },
      xAxis: {
        type: "value",
        min: options.min,
        max: options.max,
        axisLabel: { formatter: options.axis },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: names,
        axisLabel: { width: 150, overflow: "truncate" },
      },
      series: series.map(function (s, n) {
        return {
          type: "bar",
          name: s.name,
          barMaxWidth: 20,
          // A series colour (shown in the legend) or, for one series, a colour per value.
          itemStyle: options.seriesColors ? { color: options.seriesColors[n] } : undefined,
          data: s.values.map(function (v) {
            if (v === null || !options.color) {
              return v;
            }
            return { value: v, itemStyle: { color: options.color(v) } };
          }),
          label: {
            show: true,
            position: "right",
            formatter: function (p) { return options.format(p.value); },
          },
          markLine: options.line === undefined ? undefined : {
            silent: true,
            symbol: "none",
            lineStyle: { color: GREY, type: "dashed" },
            data: [{ xAxis: options.line }],
            label: { show: false },
          },
        };
      }),
    });
    charts.push(chart);
  }

  function draw() {
    var d = data();
    if (!d) {
      return;
    }
    var raters = d.raters || [];
    var names = raters.map(function (r) { return r.name; });
    bars("chart-deviation", "平均偏差（百分点，正偏宽、负偏严）", names,
      [{ name: "平均偏差", values: raters.map(function (r) { return r.deviation; }) }], {
        color: function (v) { return v > 0 ? RED : v < 0 ? BLUE : GREY; },
        format: function (v) { return (v > 0 ? "+" : "") + Number(v).toFixed(2); },
        axis: "{value}",
        line: 0,
      });
    bars("chart-agreement", "与共识一致率（%）", names,
      [{ name: "一致率", values: raters.map(function (r) { return r.agreement; }) }], {
        color: function (v) { return v < 60 ? RED : BLUE; },
        format: function (v) { return Number(v).toFixed(1) + "%"; },
        axis: "{value}%",
        min: 0,
        max: 100,
      });
    var spread = d.dispersion || { names: [], series: [] };
    bars("chart-dispersion", "各申报评分离散度（平均极差，百分点）", spread.names, spread.series, {
      seriesColors: [GREY, TEAL],
      format: function (v) { return Number(v).toFixed(2); },
      axis: "{value}",
      min: 0,
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
