// report.html's charts: tooltips, legend toggles, statistic and y-scale switch, table row
// highlight. Every chart is already drawn (inline SVG, one view per statistic and scale);
// this only shows one view, hides series and explains points from the #chart-data JSON.
(function () {
  "use strict";
  var dataEl = document.getElementById("chart-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var tip = document.getElementById("chart-tip");
  var state = { stat: "", scale: "" };
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
  var all = function (root, sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); };

  // Up to 6 significant digits, as findings.json holds them (225.9276769 -> 225.928).
  function num(v) {
    if (typeof v !== "number" || !isFinite(v)) return "-";
    return String(Number(v.toPrecision(6)));
  }

  function visibleView(fig) {
    return all(fig, ".view").filter(function (v) { return !v.hidden; })[0];
  }

  // The view a figure shows for the chosen statistic and scale.
  function pick(fig) {
    var views = all(fig, ".view");
    var def = views.filter(function (v) { return v.hasAttribute("data-default"); })[0] || views[0];
    var stat = def.dataset.stat;
    if (state.stat && views.some(function (v) { return v.dataset.stat === state.stat; })) stat = state.stat;
    var same = views.filter(function (v) { return v.dataset.stat === stat; });
    var chosen = same.filter(function (v) {
      return state.scale ? v.dataset.scale === state.scale : v.hasAttribute("data-auto");
    })[0] || same.filter(function (v) { return v.hasAttribute("data-auto"); })[0] || def;
    // Views not shown yet wait as inert text (the page parses one SVG per chart): made
    // SVG the first time they are picked. The text is the page's own, escaped by adreport.
    var t = chosen.querySelector("script[type='text/x-svg']");
    if (t) {
      var src = t.textContent;
      t.remove();
      chosen.insertAdjacentHTML("beforeend", src);
      applyOff(fig);
    }
    views.forEach(function (v) { v.hidden = v !== chosen; });
    fillTable(fig, chosen.dataset.metric);
  }

  function fillTable(fig, metric) {
    var head = fig.querySelector("[data-head=value]");
    if (!head || !metric) return;
    head.textContent = metric + " (" + (data.units[metric] || "") + ")";
    all(fig, "tr[data-row]").forEach(function (tr) {
      var p = data.points[+tr.dataset.row] || {};
      var v = (p.values || {})[metric];
      tr.querySelector("[data-cell=value]").textContent = v === undefined ? "-" : num(v);
      var r = (p.ranges || {})[metric];
      tr.querySelector("[data-cell=range]").textContent = r ? num(r[0]) + "–" + num(r[1]) + " over " + p.runs + " runs" : "";
    });
  }

  function render() {
    figures.forEach(pick);
    all(document, "[data-set-stat]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.setStat === state.stat)); });
    all(document, "[data-set-scale]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.setScale === state.scale)); });
  }

  function toggle(fig, label) {
    var off = fig.dataset.off ? JSON.parse(fig.dataset.off) : [];
    var i = off.indexOf(label);
    if (i < 0) off.push(label); else off.splice(i, 1);
    fig.dataset.off = JSON.stringify(off);
    applyOff(fig);
  }

  // Hides the series switched off in the figure, in every view drawn so far.
  function applyOff(fig) {
    var off = fig.dataset.off ? JSON.parse(fig.dataset.off) : [];
    all(fig, "[data-series]").forEach(function (g) {
      g.classList.toggle("series-off", off.indexOf(g.getAttribute("data-series")) >= 0);
    });
    all(fig, "[data-toggle]").forEach(function (g) {
      var hidden = off.indexOf(g.getAttribute("data-toggle")) >= 0;
      g.classList.toggle("toggle-off", hidden);
      g.setAttribute("aria-pressed", String(!hidden));
    });
  }

  function tipText(el) {
    var p = data.points[+el.getAttribute("data-point")];
    var view = el.closest(".view");
    var series = el.closest("[data-series]");
    var lines = [];
    if (!p) return el.querySelector("title") ? el.querySelector("title").textContent : "";
    lines.push(series ? series.getAttribute("data-series") : p.label);
    var load = p.concurrency !== null ? "concurrency " + p.concurrency : "max batch size " + p.max_batch_size;
    lines.push(load + " · ISL/OSL " + (p.isl === null ? "-" : p.isl) + "/" + (p.osl === null ? "-" : p.osl));
    var q = el.getAttribute("data-q");
    var metric = view ? view.dataset.metric : "";
    if (q) {
      var v = q.split(",").map(Number);
      lines.push("per request p5 " + num(v[0]) + ", p25 " + num(v[1]) + ", p50 " + num(v[2]) + ", p75 " + num(v[3]) + ", p95 " + num(v[4]) + " ms");
    } else if (metric) {
      var xm = view.dataset.xMetric;
      if (xm) lines.push(xm + ": " + num(p.values[xm]) + " " + (data.units[xm] || ""));
      lines.push(metric + ": " + num(p.values[metric]) + " " + (data.units[metric] || ""));
      var r = p.ranges[metric];
      lines.push(r ? "runs: " + p.runs + ", range " + num(r[0]) + "–" + num(r[1]) : "runs: " + p.runs);
    }
    lines.push(p.path);
    return lines.join("\n");
  }

  function mark(el, on) {
    var fig = el.closest("figure.chart");
    var idx = el.getAttribute("data-point") || el.getAttribute("data-row");
    // A point without an index (the audit's charts) highlights only itself.
    if (!idx) { el.classList.toggle("point-hot", on); return; }
    if (!fig) return;
    all(fig, "[data-point=\"" + idx + "\"]").forEach(function (g) { g.classList.toggle("point-hot", on); });
    all(fig, "tr[data-row=\"" + idx + "\"]").forEach(function (tr) { tr.classList.toggle("row-hot", on); });
  }

  function show(el, x, y) {
    tip.textContent = tipText(el);
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 4)) + "px";
    tip.style.top = Math.max(4, y - h - 12 < 0 ? y + 18 : y - h - 12) + "px";
    mark(el, true);
  }

  function hide(el) {
    tip.hidden = true;
    if (el) mark(el, false);
  }

  document.addEventListener("mouseover", function (e) {
    var pt = e.target.closest && e.target.closest("[data-point]");
    if (pt) { show(pt, e.clientX, e.clientY); return; }
    var row = e.target.closest && e.target.closest("tr[data-row]");
    if (row) mark(row, true);
  });
  document.addEventListener("mouseout", function (e) {
    var pt = e.target.closest && e.target.closest("[data-point]");
    if (pt) hide(pt);
    var row = e.target.closest && e.target.closest("tr[data-row]");
    if (row) mark(row, false);
  });
  document.addEventListener("focusin", function (e) {
    var pt = e.target.closest && e.target.closest("[data-point]");
    if (!pt) return;
    var b = pt.getBoundingClientRect();
    show(pt, b.left + b.width / 2, b.top);
  });
  document.addEventListener("focusout", function (e) {
    var pt = e.target.closest && e.target.closest("[data-point]");
    if (pt) hide(pt);
  });
  function activate(e) {
    var t = e.target.closest && e.target.closest("[data-toggle]");
    if (t) { toggle(t.closest("figure.chart"), t.getAttribute("data-toggle")); return true; }
    var s = e.target.closest && e.target.closest("[data-set-stat]");
    if (s) { state.stat = s.dataset.setStat; render(); return true; }
    var c = e.target.closest && e.target.closest("[data-set-scale]");
    if (c) { state.scale = c.dataset.setScale; render(); return true; }
    return false;
  }
  document.addEventListener("click", activate);
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.closest && e.target.closest("[data-toggle]")) {
      if (activate(e)) e.preventDefault();
    }
    if (e.key === "Escape") hide(null);
  });

  var controls = document.getElementById("chart-controls");
  if (controls) controls.hidden = false;
  render();
  document.body.setAttribute("data-charts-ready", String(figures.length));
})();
