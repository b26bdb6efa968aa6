/* The leader's screen: the grid chooser, the two charts (drawn again after each refresh of the figures),
   and a refresh that finds the session gone shows a notice instead of the login page in a tile. */
(function () {
  "use strict";
  const choose = document.querySelector("[data-screen-grid]");
  if (choose) {
    choose.addEventListener("change", function () {
      const wall = new URLSearchParams(location.search).get("wall") === "1" ? "?wall=1" : "";
      location.href = choose.dataset.screenGrid + encodeURIComponent(choose.value) + "/" + wall;
    });
  }
  const dark = document.body.classList.contains("wall");
  const charts = [];

  function draw() {
    if (!window.echarts) return;
    charts.splice(0).forEach(function (c) { c.dispose(); });
    const dataEl = document.getElementById("screen-chart");
    if (!dataEl) return;
    const data = JSON.parse(dataEl.textContent), theme = dark ? "dark" : null;
    const received = document.getElementById("chart-received");
    if (received) {
      const c = echarts.init(received, theme, { renderer: "canvas" });
      c.setOption({ backgroundColor: "transparent", grid: { left: 36, right: 12, top: 12, bottom: 24 },
        tooltip: { trigger: "axis" }, xAxis: { type: "category", data: data.days },
        yAxis: { type: "value", minInterval: 1 }, series: [{ type: "line", data: data.received, smooth: true, areaStyle: {} }] });
      charts.push(c);
    }
    const groups = document.getElementById("chart-groups");
    if (groups && data.groups.length) {
      const c = echarts.init(groups, theme, { renderer: "canvas" });
      c.setOption({ backgroundColor: "transparent", grid: { left: 90, right: 16, top: 8, bottom: 20 },
        tooltip: {}, xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: data.groups },
        series: [{ type: "bar", data: data.group_counts }] });
      charts.push(c);
    }
  }

  document.body.addEventListener("htmx:beforeSwap", function (e) {
    // a refresh answered by the login page (the session ran out): keep the last figures, say so
    const url = e.detail.xhr && e.detail.xhr.responseURL || "";
    if (url.indexOf("/accounts/login") >= 0) {
      e.detail.shouldSwap = false;
      const stale = document.getElementById("screen-stale");
      if (stale) stale.hidden = false;
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "screen-figures") draw();
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  draw();
})();
