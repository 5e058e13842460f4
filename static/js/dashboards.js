/* kpiboard dashboards: draw the server-built Plotly figures, keep them sized to the window, and turn the
 * filter bar into a URL (so that a link reproduces the view). No framework; plotly.js comes from our own
 * static files (vendor/plotly.min.js, taken from the installed plotly package). */
(function () {
  "use strict";

  // plotly.js ships English only; this registers the Chinese names it shows (dates, the mode bar).
  function registerChinese() {
    if (!window.Plotly || !Plotly.register) return;
    Plotly.register({
      moduleType: "locale",
      name: "zh-CN",
      dictionary: {
        "Download plot as a png": "下载图表为 PNG 图片",
        "Download plot": "下载图表",
        "Zoom": "缩放",
        "Pan": "平移",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Reset axes": "重置坐标轴",
        "Autoscale": "自动缩放",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Compare data on hover": "悬停时比较数据",
        "Double-click to zoom back out": "双击返回缩放前",
        "Reset view": "重置视图",
        "Box Select": "矩形框选",
        "Lasso Select": "套索选择",
        "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候"
      },
      format: {
        days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
        shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
        date: "%Y-%m-%d",
        decimal: ".",
        thousands: ","
      }
    });
  }

  function drawCharts(root) {
    var charts = (root || document).querySelectorAll(".chart[data-figure]");
    charts.forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || el.dataset.rendered) return;
      var figure = JSON.parse(source.textContent);
      if (figure.empty) {
        el.dataset.rendered = "empty";
        el.classList.add("chart-empty");
        return;
      }
      if (!window.Plotly) {
        el.textContent = el.dataset.noscript || "";
        return;
      }
      Plotly.newPlot(el, figure.data, figure.layout, figure.config).then(function () {
        el.dataset.rendered = "1";
        el.dispatchEvent(new CustomEvent("kpiboard:chart-ready", { bubbles: true }));
      });
    });
  }

  // responsive: true follows the window; a chart whose container changes size on its own (a tab shown, a
  // <details> opened, the sidebar collapsing) needs telling.
  function resizeCharts(root) {
    if (!window.Plotly) return;
    (root || document).querySelectorAll(".chart[data-rendered='1']").forEach(function (el) {
      if (el.offsetParent !== null) Plotly.Plots.resize(el);
    });
  }

  var resizeTimer = null;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { resizeCharts(); }, 150);
  }

  // The filter bar is a GET form; this drops empty and default values so that URLs stay short and readable,
  // submits on every change, and shows the date fields only for a custom period.
  function wireFilters() {
    document.querySelectorAll("form.filters").forEach(function (form) {
      var period = form.querySelector("[name=period]");
      var custom = form.querySelector(".custom-dates");
      function toggleCustom() {
        if (custom && period) custom.hidden = period.value !== "custom";
      }
      var initialPeriod = period ? period.value : null;
      toggleCustom();
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var params = new URLSearchParams();
        var defaults = JSON.parse(form.dataset.defaults || "{}");
        // A new period brings its own granularity (days for a month, weeks for a quarter, months for a year).
        var periodChanged = period && period.value !== initialPeriod;
        new FormData(form).forEach(function (value, key) {
          if (value === "" || defaults[key] === value) return;
          if (key === "grain" && periodChanged) return;
          if ((key === "start" || key === "end") && period && period.value !== "custom") return;
          params.append(key, value);
        });
        var query = params.toString();
        window.location.assign(window.location.pathname + (query ? "?" + query : ""));
      });
      form.querySelectorAll("select, input[type=date]").forEach(function (input) {
        input.addEventListener("change", function () {
          if (input === period) {
            toggleCustom();
            if (period.value === "custom") {
              var start = form.querySelector("[name=start]");
              if (start) start.focus();
              return;  // wait for the dates
            }
          }
          if (input.type === "date") {
            var s = form.querySelector("[name=start]"), e = form.querySelector("[name=end]");
            if (!s.value || !e.value) return;
          }
          form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
        });
      });
    });
    // The brand switcher goes to the same page of another brand, keeping the query string.
    document.querySelectorAll("select.brand-switch").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        if (option && option.dataset.url) window.location.assign(option.dataset.url + window.location.search);
      });
    });
  }

  // Bulk tagging: "all" ticks every post of the page; the button says how many are ticked.
  function wireBulkTagging() {
    document.querySelectorAll("form.bulk-tag").forEach(function (form) {
      var all = form.querySelector("input.select-all");
      var count = form.querySelector(".selected-count");
      var boxes = function () { return document.querySelectorAll("input[name=posts][form='" + form.id + "']"); };
      function update() {
        var n = 0;
        boxes().forEach(function (b) { if (b.checked) n += 1; });
        if (count) count.textContent = String(n);
      }
      if (all) all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        update();
      });
      boxes().forEach(function (b) { b.addEventListener("change", update); });
      update();
    });
  }

  function init() {
    registerChinese();
    drawCharts();
    wireFilters();
    wireBulkTagging();
    window.addEventListener("resize", onResize);
    document.querySelectorAll("details").forEach(function (d) {
      d.addEventListener("toggle", function () { drawCharts(d); resizeCharts(d); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.kpiboard = { drawCharts: drawCharts, resizeCharts: resizeCharts };
})();
