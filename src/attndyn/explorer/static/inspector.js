// The point inspector: one pixel's n points on the circle through its T steps, Δ(t) on a log
// axis and the cluster count over t, from the server's /api/inspect (attndyn.analysis.trace).
"use strict";

const AXInspector = (() => {
  const $ = (id) => document.getElementById(id);
  let trace = null, step = 0, timer = null;

  function fmt(v, digits = 6) {
    if (v === null || v === undefined) return "nan";
    if (typeof v !== "number") return String(v);
    return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : Number(v.toPrecision(digits)).toString();
  }

  function drawCircle() {
    const canvas = $("circle"), g = canvas.getContext("2d");
    const w = canvas.width, r = w / 2 - 14, c = w / 2;
    g.clearRect(0, 0, w, w);
    g.strokeStyle = "#555"; g.lineWidth = 1;
    g.beginPath(); g.arc(c, c, r, 0, 2 * Math.PI); g.stroke();
    g.beginPath(); g.moveTo(c - r - 6, c); g.lineTo(c + r + 6, c); g.moveTo(c, c - r - 6); g.lineTo(c, c + r + 6); g.stroke();
    const points = trace.points[step] || [];
    // faint trails of the last few steps
    for (let back = Math.min(step, 6); back >= 1; back--) {
      g.fillStyle = `rgba(120, 160, 255, ${0.08 * (7 - back)})`;
      for (const p of trace.points[step - back]) {
        if (p[0] === null || p[1] === null) continue;
        g.beginPath(); g.arc(c + r * p[0], c - r * p[1], 2, 0, 2 * Math.PI); g.fill();
      }
    }
    points.forEach((p, i) => {
      if (p[0] === null || p[1] === null) return;
      g.fillStyle = i === 0 ? "#ff6b6b" : "#ffd966";
      g.beginPath(); g.arc(c + r * p[0], c - r * p[1], 4, 0, 2 * Math.PI); g.fill();
    });
    g.fillStyle = "#aaa"; g.font = "11px monospace";
    g.fillText(`t = ${step} / ${trace.points.length - 1}`, 6, 14);
    // the axes: a point's two coordinates (the unit circle is where they live)
    g.fillText("x₁ →", c + r - 26, c - 4);
    g.fillText("x₂ ↑", c + 4, c - r - 2);
    g.fillText("1", c + r + 2, c + 12);
    g.fillText("-1", c - r - 16, c + 12);
  }

  // A quantity over the steps: its axis (log or linear) on the left with its name at the top,
  // the step t along the bottom (0, the middle, T), the tolerance dashed, the step shown white.
  function plot(canvasId, values, { log, label, tol }) {
    const canvas = $(canvasId), g = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, left = 42, bottom = 26, top = 14;
    g.clearRect(0, 0, w, h);
    const finite = values.filter((v) => v !== null && (!log || v > 0));
    const tf = (v) => (log ? Math.log10(Math.max(v, 1e-300)) : v);
    let lo = Math.min(...finite.map(tf)), hi = Math.max(...finite.map(tf));
    if (tol && log) { lo = Math.min(lo, Math.log10(tol)); hi = Math.max(hi, Math.log10(tol)); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { hi += log ? 1 : 0.5; lo -= log ? 1 : 0.5; }
    const X = (t) => left + (w - left - 6) * t / Math.max(values.length - 1, 1);
    const Y = (v) => top + (h - top - bottom) * (1 - (tf(v) - lo) / (hi - lo));
    g.strokeStyle = "#555"; g.strokeRect(left, top, w - left - 6, h - top - bottom);
    g.fillStyle = "#aaa"; g.font = "10px monospace";
    g.fillText(label, left, 10);
    g.fillText(log ? `1e${Math.round(hi)}` : fmt(hi, 3), 2, top + 8);
    g.fillText(log ? `1e${Math.round(lo)}` : fmt(lo, 3), 2, h - bottom);
    const last = Math.max(values.length - 1, 0);
    g.textAlign = "center";
    for (const t of new Set([0, Math.round(last / 2), last])) {
      g.fillRect(X(t) - 0.5, h - bottom, 1, 3);
      g.textAlign = t === last && t > 0 ? "right" : "center";
      g.fillText(String(t), t === last && t > 0 ? X(t) + 3 : X(t), h - bottom + 12);
    }
    g.textAlign = "right";
    g.fillText("step t →", w - 6, h - 2);
    g.textAlign = "left";
    if (tol) {
      g.strokeStyle = "#844"; g.setLineDash([3, 3]);
      g.beginPath(); g.moveTo(left, Y(tol)); g.lineTo(w - 6, Y(tol)); g.stroke(); g.setLineDash([]);
      g.fillStyle = "#c66"; g.textAlign = "right"; g.fillText("tol", w - 8, Y(tol) - 3);
      g.textAlign = "left"; g.fillStyle = "#aaa";
    }
    g.strokeStyle = "#8cf"; g.beginPath();
    let started = false;
    values.forEach((v, t) => {
      if (v === null || (log && v <= 0)) { started = false; return; }
      if (started) g.lineTo(X(t), Y(v)); else g.moveTo(X(t), Y(v));
      started = true;
    });
    g.stroke();
    g.strokeStyle = "#fff"; g.beginPath(); g.moveTo(X(step), top); g.lineTo(X(step), h - bottom); g.stroke();
  }

  function draw() {
    drawCircle();
    plot("delta-plot", trace.delta, { log: true, label: "Δ(t) = max_i |x_i1 - x_11|, log axis", tol: trace.tol });
    plot("cluster-plot", trace.clusters, { log: false, label: "clusters(t), the number of groups" });
    $("step").value = step;
  }

  function describe(info) {
    const tile = info.tile || {};
    const last = info.delta[info.delta.length - 1];
    return [
      `${info.y_param} = ${fmt(info.y, 17)}   ${info.x_param} = ${fmt(info.x, 17)}`,
      `label ${info.label} (${info.label ? "synchronised" : "not synchronised"})   sync step ${fmt(info.sync_step, 4)}`,
      `final Δ ${fmt(last, 8)}   tile's Δ ${tile.delta === undefined ? "(not cached)" : fmt(tile.delta, 8)}`,
      `clusters at T: ${info.clusters[info.clusters.length - 1]}   precision ${info.precision}`,
    ].join("\n");
  }

  function open(info) {
    trace = info;
    if (timer) clearInterval(timer);
    $("inspector").hidden = false;
    $("inspector-title").textContent = `pixel row ${info.row}, col ${info.col}`;
    $("inspector-text").textContent = describe(info);
    $("step").max = info.points.length - 1;
    step = 0;
    draw();
    const frames = info.points.length;
    const every = Math.max(20, Math.min(120, 6000 / frames));
    timer = setInterval(() => {
      if (step >= frames - 1) { clearInterval(timer); timer = null; return; }
      step += 1; draw();
    }, every);
  }

  function close() {
    if (timer) clearInterval(timer);
    timer = null;
    $("inspector").hidden = true;
  }

  function setup() {
    $("inspector-close").addEventListener("click", close);
    $("step").addEventListener("input", (e) => {
      if (timer) { clearInterval(timer); timer = null; }
      step = Number(e.target.value); if (trace) draw();
    });
  }

  return { open, close, setup, fmt, current: () => trace };
})();
