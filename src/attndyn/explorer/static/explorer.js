// The explorer page: the URL holds the whole view; the panel edits it; the map shows it.
//
// State is the URL query, under render's option names (and coloring, cmap, invert, equalize,
// center, width, ref). Every change of the panel goes through setQuery(): it pushes a history
// entry (so Back undoes the last change), asks the server to check the view (/api/view: a bad
// value comes back as one line, shown in the panel), and updates the map: new tile query when
// the spec or the colours change (colours only re-colour: the server keeps the tiles' fields),
// a new position when center/width change. Pans and zooms only replace the current entry.
//
// While tiles compute, the status line says how many are on their way and what the server's
// pool holds (/api/status); past float64's limit the zoom stops, with the reason (map.js).
// Keys: ? lists them. My views: ☆ pins the view (localStorage); "Download my views" writes
// them as a presets TOML file for `attndyn render --presets FILE --preset NAME`.
//
// The first screen: without center/width the spec's window is centred at the smallest zoom
// that covers the whole map (map.js). Until tiles arrive the page says why it waits when the
// server is compiling the kernels (polled from /api/health, the clock ticking here). On
// windows narrower than NARROW px the panel and the gallery strip start closed.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const COLOR_KEYS = ["coloring", "cmap", "invert", "equalize"];
  const NARROW = 900;  // px: narrower windows start with the panel and the strip closed
  const HEALTH_EVERY_MS = 2000, TICK_MS = 1000;
  const VIEW_KEYS = ["center", "width", "ref"];
  const PARAMS = ["wk11", "wk00", "wk01", "wk10", "wq00", "wq01", "wq10", "wq11",
    "wv00", "wv01", "wv10", "wv11", "beta", "residual"];  // residual: its window must be > 0
  const DEFAULT_CMAPS = { binary: "gray", "log-delta": "magma", "sync-step": "inferno",
    probability: "gray", clusters: "tab10" };  // attndyn.pictures.coloring.DEFAULT_CMAPS
  const STATUS_EVERY_MS = 1000, LOADING_EVERY_MS = 250;
  const MINE_KEY = "attndyn.myViews", AXES_KEY = "attndyn.axes";
  const MINE_FILE = "attndyn-my-views.toml";
  const CMAPS = ["", "gray", "magma", "inferno", "viridis", "plasma", "cividis", "twilight_shifted",
    "twilight", "turbo", "cubehelix", "bone", "copper", "ocean", "terrain", "tab10", "tab20", "hsv"];

  // Fields the page checks before it asks the server (which checks them again, 422 with the
  // same kind of line): the residual step h is a finite number > 0, or none (empty, "none" or
  // "off"), the seed's map without a skip connection.
  const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const CHECKS = {
    residual(text) {
      if (text === "" || /^(none|off)$/i.test(text)) return { value: "" };
      const h = DECIMAL.test(text) ? Number(text) : NaN;
      if (Number.isFinite(h) && h > 0) return { value: text };
      return { error: `residual '${text}' is not allowed; give a finite number > 0, or leave it empty (none) for the seed's map` };
    },
  };

  let query = readQuery();
  let info = null;        // the server's description of the current view
  let refCache = null;    // {z, text}: the reference tile of the colours at zoom z
  let hoverBusy = false, hoverNext = null;

  const deep = new AXMap.DeepMap($("map"), {
    moved: onMapMoved,
    tileError: (message) => notice(message),
    tileExtra: (absZ) => refParam(absZ),
    limit: (reached) => showLimit(reached),
  });

  // -- the query ----------------------------------------------------------------------------
  function readQuery() {
    const out = {};
    for (const [k, v] of new URLSearchParams(location.search)) out[k] = v;
    return out;
  }
  function encode(q) {
    return Object.entries(q).filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
  }
  const specPart = (q) => encode(Object.fromEntries(Object.entries(q).filter(([k]) => !COLOR_KEYS.includes(k) && !VIEW_KEYS.includes(k))));

  // The first screen's stand-in: tile (0, 0, 0), one tile's work, stretched over the window
  // under the tile layer (its own pane, below Leaflet's tiles), so the window is in colour
  // long before its own tiles (a few dozen at the covering zoom) are all in. Gone once they
  // are, or at the first change of view.
  let preview = null, previewWanted = false;
  // Its coarse preview (a quarter of the resolution, quick), or the tile where the server
  // makes none.
  function askPreview() {
    const url = `/tiles/0/0/0.png?${deep.tileQuery}${info.needs_ref ? "&ref=0,0,0" : ""}`;
    const get = (u) => fetch(u, { priority: "high" }).then((r) => (r.ok ? r.blob() : null));
    return get(`${url}&preview=1`).then((blob) => blob || get(url)).catch(() => null);
  }
  function showPreview(asked) {
    if (deep.anchor.z !== 0 || deep.absoluteZoom() < 2) return;  // the frame of tile (0, 0, 0)
    previewWanted = true;
    deep.layer.once("load", removePreview);
    asked.then((blob) => {
      if (!blob || !previewWanted || deep.anchor.z !== 0) return;
      if (!deep.map.getPane("preview")) deep.map.createPane("preview").style.zIndex = 150;
      preview = L.imageOverlay(URL.createObjectURL(blob), [[0, 0], [1, 1]],
        { pane: "preview", interactive: false }).addTo(deep.map);
    });
  }
  function removePreview() {
    previewWanted = false;
    if (preview) { URL.revokeObjectURL(preview._url); preview.remove(); preview = null; }
  }

  function setQuery(next, { push = true, reposition = false } = {}) {
    removePreview();
    const specChanged = specPart(next) !== specPart(query);
    query = next;
    const url = `${location.pathname}?${encode(query)}`;
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    return refresh({ reposition: reposition || specChanged && !query.center });
  }

  async function refresh({ reposition }) {
    const size = deep.map.getSize();
    let response;
    try {
      response = await fetch(`/api/view?${encode(query)}&screen=${size.x}x${size.y}`);
    } catch (error) { return showError(String(error)); }
    const body = await response.json();
    if (!response.ok) return showError(body.detail || `error ${response.status}`);
    showError(null);
    const firstTime = info === null;
    const geometryChanged = !info || JSON.stringify(info.pyramid) !== JSON.stringify(body.pyramid);
    info = body;
    fillPanel();
    const tileQuery = Object.assign({}, info.tile_query);
    delete tileQuery.ref;
    deep.setGeometry(info.pyramid);
    if (firstTime || geometryChanged || reposition) {
      refCache = null;
      deep.tileQuery = encode(tileQuery);  // the frame's redraw below loads them
      const c = query.center ? query.center.split(",").map(Number) : null;
      adoptRef(query.ref);
      // asked for before the tiles, so that it is computed first
      const standIn = firstTime && !c ? askPreview() : null;
      deep.show(c, query.width ? Number(query.width) : null, !firstTime, panelInset());
      if (standIn) showPreview(standIn);
    } else {
      deep.setTileQuery(encode(tileQuery));
    }
    updatePin();
    window.explorer.ready = true;
  }

  // The colours' reference tile: given in the URL for this zoom, else the centre's tile.
  function adoptRef(text) {
    if (!text) return;
    const parts = text.split(",");
    refCache = { z: Number(parts[0]), text };
  }
  function refParam(absZ) {
    if (!info || !info.needs_ref) return "";
    if (!refCache || refCache.z !== absZ) {
      const t = deep.centerTile(absZ);
      refCache = { z: absZ, text: `${t.z},${t.x},${t.y}` };
    }
    return `&ref=${refCache.text}`;
  }

  function onMapMoved() {
    const v = deep.view();
    const next = Object.assign({}, query, { center: `${v.center[0]},${v.center[1]}`, width: String(v.width) });
    if (info && info.needs_ref && refCache) next.ref = refCache.text; else delete next.ref;
    query = next;
    // a pan or a zoom replaces the entry: Back undoes the last change of the panel, not a drag
    history.replaceState(null, "", `${location.pathname}?${encode(query)}`);
    hideCopied();
    drawAxes();
    updatePin();
  }

  window.addEventListener("popstate", () => {
    const next = readQuery();
    const specChanged = specPart(next) !== specPart(query);
    const moved = next.center !== query.center || next.width !== query.width;
    query = next;
    refresh({ reposition: moved || specChanged });
  });

  // -- messages -----------------------------------------------------------------------------
  function showError(message) {
    $("error").hidden = !message;
    $("error").textContent = message || "";
  }
  let noticeTimer = null;
  function notice(message) {
    $("notice").textContent = message;
    statusShown();
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { $("notice").textContent = ""; statusShown(); }, 8000);
  }
  function statusShown() {
    const empty = ["loading", "limit", "where", "under", "notice"].every((id) => !$(id).textContent);
    $("status").classList.toggle("empty", empty);
  }

  // -- the kernels' compile: why the tiles wait --------------------------------------------
  // While tiles are pending, ask /api/health every HEALTH_EVERY_MS; while a set of kernels is
  // compiling, say so over the map with a clock that ticks between the polls.
  const waiting = { kernel: null, at: 0 };
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  function showWait() {
    const k = waiting.kernel;
    if (!k) { $("wait").hidden = true; return; }
    const elapsed = k.elapsed_s + (performance.now() - waiting.at) / 1000;
    // k.precision is the kernels' key: float32, float64, or either with " residual"
    const what = k.precision.endsWith(" residual") ? `the ${k.precision} map's kernels`
      : k.precision === "float64" ? "the float64 kernels for deep zooms" : "the kernels for this machine";
    const about = k.expected_s && elapsed < k.expected_s ? ` (about ${clock(k.expected_s)})` : "";
    $("wait-text").innerHTML = `compiling ${what}, once — <b>${clock(elapsed)}</b>${about}` +
      "<small>numba compiles them the first time they run here; the tiles follow.</small>";
    $("wait").style.left = `${(window.innerWidth - panelInset()) / 2}px`;  // over the uncovered map
    $("wait").hidden = false;
  }
  async function askHealth() {
    try {
      const health = await (await fetch("/api/health")).json();
      const entries = Object.entries(health.kernels || {});
      const busy = entries.find(([, k]) => k.state === "compiling");
      waiting.kernel = busy ? Object.assign({ precision: busy[0] }, busy[1]) : null;
      waiting.at = performance.now();
    } catch (_) { waiting.kernel = null; }
    showWait();
  }
  function watchKernels() {
    let sinceAsked = HEALTH_EVERY_MS;
    setInterval(() => {
      sinceAsked += TICK_MS;
      const pending = deep.pending() > 0;
      if ((pending || waiting.kernel) && sinceAsked >= HEALTH_EVERY_MS) {
        sinceAsked = 0;
        askHealth();
      } else if (waiting.kernel) {
        showWait();
      }
    }, TICK_MS);
    askHealth();
  }

  // -- the panel ----------------------------------------------------------------------------
  function buildPanel() {
    for (const select of document.querySelectorAll("select.params")) {
      for (const p of PARAMS) select.add(new Option(p, p));
    }
    for (const c of CMAPS) $("cmap").add(new Option(c || "(the coloring's default)", c));
    for (const box of document.querySelectorAll(".matrix")) {
      const name = box.dataset.name;
      for (let i = 0; i < 4; i++) {
        const entry = document.createElement("div");
        entry.className = "entry";
        entry.innerHTML = `<input type="number" step="0.0001" data-entry="${i}">` +
          `<input type="range" min="-3" max="3" step="0.0001" data-entry="${i}">`;
        box.appendChild(entry);
        const [number, slider] = entry.querySelectorAll("input");
        number.addEventListener("change", () => commitMatrix(name));
        slider.addEventListener("input", () => { number.value = slider.value; });
        slider.addEventListener("change", () => { number.value = slider.value; commitMatrix(name); });
      }
    }
    for (const input of document.querySelectorAll("[data-key]")) {
      input.addEventListener("change", () => {
        const next = Object.assign({}, query);
        let value = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
        const check = CHECKS[input.dataset.key];
        if (check) {
          const checked = check(value);
          if (checked.error) return showError(checked.error);  // the view stays as it was
          value = checked.value;
        }
        if (value === "") delete next[input.dataset.key]; else next[input.dataset.key] = value;
        setQuery(next);
      });
    }
    $("preset").addEventListener("change", () => {
      const name = $("preset").value;
      const next = {};
      if (name) next.preset = name;
      for (const k of ["init", ...COLOR_KEYS]) if (query[k]) next[k] = query[k];
      setQuery(next, { reposition: true });
    });
    $("panel-toggle").addEventListener("click", () => setPanel($("panel").classList.contains("closed")));
    $("copy-link").addEventListener("click", () => copied(location.href));
    $("copy-command").addEventListener("click", async () => {
      const size = deep.map.getSize();
      const q = Object.assign({}, query);
      const response = await fetch(`/api/view?${encode(q)}&screen=${size.x}x${size.y}`);
      const body = await response.json();
      copied(response.ok ? body.command : body.detail);
    });
    $("save-png").addEventListener("click", savePng);
    $("strip-toggle").addEventListener("click", () => {
      const showing = !$("strip").classList.contains("closed") && !$("strip").classList.contains("mine");
      if (showing) $("strip").classList.add("closed"); else openMine(false);
    });
    $("mine-toggle").addEventListener("click", () => {
      const showing = !$("strip").classList.contains("closed") && $("strip").classList.contains("mine");
      if (showing) { $("strip").classList.add("closed"); $("mine-items").hidden = true; } else openMine(true);
    });
    $("pin").addEventListener("click", pinView);
    $("download-mine").addEventListener("click", downloadMine);
    $("show-axes").addEventListener("change", () => setAxes($("show-axes").checked));
    $("help-close").addEventListener("click", () => toggleHelp(false));
    document.addEventListener("keydown", onKey);
    deep.map.on("move zoom resize", drawAxes);
  }

  // The px at the right of the map that the open panel covers (0 when it is closed or, on
  // narrow windows, lies over the whole map anyway).
  function panelInset() {
    if ($("panel").classList.contains("closed")) return 0;
    const box = $("panel").getBoundingClientRect();
    return box.width < window.innerWidth / 2 ? window.innerWidth - box.left : 0;
  }

  function setPanel(open) {
    $("panel").classList.toggle("closed", !open);
    document.body.classList.toggle("panel-closed", !open);
    $("panel-toggle").setAttribute("aria-expanded", String(open));
    drawAxes();
  }

  function commitMatrix(name) {
    const values = [...document.querySelectorAll(`.matrix[data-name=${name}] input[type=number]`)].map((i) => i.value);
    const next = Object.assign({}, query, { [name]: values.join(",") });
    setQuery(next);
  }

  function fillPanel() {
    const o = info.options, c = info.colors;
    $("preset").value = o.preset || "";
    for (const name of ["wq", "wv"]) {
      const inputs = document.querySelectorAll(`.matrix[data-name=${name}] input`);
      inputs.forEach((input) => { input.value = o[name][Number(input.dataset.entry)]; });
    }
    for (const input of document.querySelectorAll("[data-key]")) {
      const key = input.dataset.key;
      const value = key in o ? o[key] : c[key];
      if (input.type === "checkbox") input.checked = Boolean(value);
      else input.value = value === null || value === undefined ? "" : String(value);
    }
    updateDisabled();
    drawAxes();
  }

  function hideCopied() { $("copied").hidden = true; }
  async function copied(text) {
    $("copied").hidden = false;
    $("copied").value = text;
    $("copied").select();
    try { await navigator.clipboard.writeText(text); } catch (_) { /* selected for Ctrl-C */ }
  }

  // -- export -------------------------------------------------------------------------------
  async function savePng() {
    $("save-png").disabled = true;
    $("save-png").title = "an export is running; its progress is below";
    try { await exportPng(); } finally { $("save-png").disabled = false; $("save-png").removeAttribute("title"); }
  }
  async function exportPng() {
    const size = $("export-size").value.trim() || `${deep.map.getSize().x}x${deep.map.getSize().y}`;
    const v = deep.view();
    const q = Object.assign({}, query, { center: `${v.center[0]},${v.center[1]}`, width: String(v.width), size });
    delete q.ref;
    $("export-status").textContent = "starting";
    // the browser's Origin says the page is the server's own; the token says it where a
    // browser sends no Origin (the server writes it into the page)
    const token = document.querySelector("meta[name=attndyn-token]");
    const headers = token ? { "X-Attndyn-Token": token.content } : {};
    const response = await fetch(`/api/export?${encode(q)}`, { method: "POST", headers });
    const body = await response.json();
    if (!response.ok) { $("export-status").textContent = body.detail; return; }
    $("export-progress").hidden = false;
    for (let polls = 0; polls < 36000; polls++) {
      const status = await (await fetch(`/api/export/${body.id}`)).json();
      $("export-progress").value = status.progress;
      $("export-status").textContent = `${status.state}: ${Math.round(100 * status.progress)}% of ${status.width}x${status.height} (${status.precision})`;
      if (status.state === "done") {
        $("export-status").innerHTML = `<a href="/api/export/${body.id}/picture.png" download>download the PNG</a> (${status.width}x${status.height}; it carries its spec: attndyn render --from)`;
        return;
      }
      if (status.state === "failed") { $("export-status").textContent = status.error; return; }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  // -- hover and click ----------------------------------------------------------------------
  function pixelQuery(latlng) {
    const t = deep.tileAt(latlng);
    const tileQuery = deep.tileQuery + refParam(t.z);
    return `${tileQuery}&z=${t.z}&x=${t.x}&y=${t.y}&row=${t.row}&col=${t.col}`;
  }

  function onHover(e) {
    if (!info) return;
    const p = deep.toParams(e.latlng);
    const o = info.options;
    $("where").textContent = `${o["y-param"]} = ${p.y.toPrecision(12)}  ${o["x-param"]} = ${p.x.toPrecision(12)}  zoom ${deep.absoluteZoom()}`;
    statusShown();
    hoverNext = e.latlng;
    if (!hoverBusy) hoverLoop();
  }
  async function hoverLoop() {
    hoverBusy = true;
    while (hoverNext) {
      const latlng = hoverNext; hoverNext = null;
      try {
        const response = await fetch(`/api/pixel?${pixelQuery(latlng)}`);
        const v = await response.json();
        if (!response.ok) { $("under").textContent = ""; continue; }
        $("under").textContent = v.cached
          ? `· label ${v.labels}  Δ ${AXInspector.fmt(v.delta, 4)}  sync ${AXInspector.fmt(v.sync_step, 4)}  clusters ${v.clusters}` +
            (v.probability !== undefined ? `  p ${AXInspector.fmt(v.probability, 3)}` : "") + `  (${v.precision})`
          : "";
      } catch (_) { /* the next move asks again */ }
      await new Promise((r) => setTimeout(r, 60));
    }
    hoverBusy = false;
  }

  async function onClick(e) {
    if (!info) return;
    $("inspector-text").textContent = "tracing...";
    const response = await fetch(`/api/inspect?${pixelQuery(e.latlng)}`);
    const body = await response.json();
    if (!response.ok) { notice(body.detail || `error ${response.status}`); return; }
    AXInspector.open(body);
  }

  // -- the start strip ----------------------------------------------------------------------
  let presetNames = [];
  async function buildStrip() {
    const presets = await (await fetch("/api/presets")).json();
    const names = presetNames;
    for (const p of presets) {
      names.push(p.name);
      $("preset").add(new Option(p.name, p.name));
    }
    $("preset").value = query.preset || "";
    return names;
  }
  // Thumbnails in the colours of the moment; a click opens the preset in the current colours.
  function fillStrip(names) {
    const colors = () => Object.fromEntries(COLOR_KEYS.filter((k) => query[k]).map((k) => [k, query[k]]));
    const shown = encode(colors());
    for (const name of names) {
      const figure = document.createElement("figure");
      const src = `/tiles/0/0/0.png?preset=${encodeURIComponent(name)}&init=shared${shown ? "&" + shown : ""}`;
      figure.innerHTML = `<img alt="${name}" src="${src}"><figcaption>${name}</figcaption>`;
      figure.addEventListener("click", () => setQuery(Object.assign({ preset: name, init: "shared" }, colors()), { reposition: true }));
      $("strip-items").appendChild(figure);
    }
  }

  // -- while tiles compute: how many, and the server's pool -------------------------------
  // The status line counts the tiles on their way (those that show a coarse picture
  // meanwhile too) and, polled from /api/status every STATUS_EVERY_MS while any are, the
  // server's tiles in flight and queued. Gone when every tile is in.
  const server = { text: "", asked: 0 };
  async function askStatus() {
    server.asked = performance.now();
    try {
      // high priority: the browser sends it before the tiles waiting for a connection
      let response = await fetch("/api/status", { priority: "high" });
      if (response.ok) {
        const s = await response.json();
        server.text = `server: ${s.in_flight} computing, ${s.queued} queued` +
          (s.compiling ? ", compiling" : "");
        return;
      }
      response = await fetch("/api/stats", { priority: "high" });  // a server without /api/status
      const pool = (await response.json()).pool || {};
      server.text = `server: ${pool.running} computing, ${pool.queued} queued`;
    } catch (_) { server.text = ""; }
  }
  function showLoading() {
    const pending = deep.pending();
    const blank = deep.blank();
    if (pending > 0 && performance.now() - server.asked > STATUS_EVERY_MS) askStatus();
    let text = "";
    if (pending > 0) {
      const coarse = pending - blank;
      text = `⟳ ${pending} tile${pending === 1 ? "" : "s"} on the way` +
        (coarse > 0 ? ` (${coarse} shown coarse meanwhile)` : "") + (server.text ? ` · ${server.text}` : "");
    } else {
      server.text = "";
    }
    if ($("loading").textContent !== text) { $("loading").textContent = text; statusShown(); }
  }

  // -- float64's limit -----------------------------------------------------------------------
  function showLimit(reached) {
    const text = reached
      ? `zoom ${deep.absoluteZoom()} is the deepest here: float64 cannot tell finer pixels apart (+ is off until you zoom out or move)`
      : "";
    const plus = document.querySelector(".leaflet-control-zoom-in");
    if (plus) plus.title = reached ? `zoom in: disabled, ${text}` : "Zoom in";
    if ($("limit").textContent !== text) { $("limit").textContent = text; statusShown(); }
  }

  // -- axes: rulers with the values of the swept parameters ----------------------------------
  const PARAM_NAMES = { wk00: "a = W_K[0,0]", wk11: "b = W_K[1,1]", beta: "β", residual: "residual h" };
  const paramName = (p) => PARAM_NAMES[p] || `${p.slice(0, 2).toUpperCase().replace("W", "W_")}[${p[2]},${p[3]}]`;
  // A round step (1, 2 or 5 times a power of ten) near `span`.
  function niceStep(span) {
    const p = Math.pow(10, Math.floor(Math.log10(span))), f = span / p;
    return p * (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10);
  }
  function ticks(center, perPx, lengthPx, spacingPx) {
    const step = niceStep(perPx * spacingPx);
    const digits = Math.max(0, Math.min(20, -Math.floor(Math.log10(step))));
    const lo = center - perPx * lengthPx / 2, out = [];
    for (let k = Math.ceil(lo / step), i = 0; i < 60; k++, i++) {
      const value = k * step, at = lengthPx / 2 + (value - center) / perPx;
      if (at > lengthPx) break;
      out.push({ at, text: value.toFixed(digits) });
    }
    return out;
  }
  function drawAxes() {
    const shown = $("show-axes").checked && info !== null;
    $("axes").hidden = !shown;
    document.body.classList.toggle("axes-on", shown);
    if (!shown) return;
    const size = deep.map.getSize(), v = deep.view(), o = info.options;
    const perPx = v.width / size.x;  // pixels are square
    const bottom = ticks(v.center[0], perPx, size.x, size.x < 600 ? 110 : 150).map((t) =>
      `<span class="tick" style="left:${t.at.toFixed(1)}px">${t.text}</span>`).join("");
    // screen y runs downward, the parameter upward
    const left = ticks(v.center[1], perPx, size.y, 90).map((t) =>
      `<span class="tick" style="top:${(size.y - t.at).toFixed(1)}px">${t.text}</span>`).join("");
    // the name clear of the panel, or of its button when it is closed
    const right = $("panel").classList.contains("closed") ? $("panel").offsetWidth + 16 : panelInset() + 8;
    $("axis-x").innerHTML = `${bottom}<span class="name" style="right:${right}px">${paramName(o["x-param"])} →</span>`;
    $("axis-y").innerHTML = `${left}<span class="name">${paramName(o["y-param"])} ↑</span>`;
  }
  function setAxes(on) {
    $("show-axes").checked = on;
    try { localStorage.setItem(AXES_KEY, on ? "1" : ""); } catch (_) { /* private window */ }
    drawAxes();
  }

  // -- fullscreen and the keys ---------------------------------------------------------------
  function toggleFullscreen() {
    if (!document.fullscreenEnabled) return;
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch((e) => notice(`fullscreen: ${e.message}`));
  }
  // four corners (a glyph such as ⛶ is missing from many fonts)
  const FULLSCREEN_ICON = '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" ' +
    'style="vertical-align:-2px"><path d="M1 5V1h4M9 1h4v4M13 9v4H9M5 13H1V9" fill="none" ' +
    'stroke="currentColor" stroke-width="2"/></svg>';
  function toggleHelp(open = $("help").hidden) { $("help").hidden = !open; }

  // The buttons under Leaflet's zoom: fullscreen, pin, keys.
  function addMapButtons() {
    const Buttons = L.Control.extend({
      onAdd() {
        const bar = L.DomUtil.create("div", "leaflet-bar ax-buttons");
        const button = (id, text, title, action) => {
          const b = L.DomUtil.create("a", "", bar);
          b.id = id; b.href = "#"; b.role = "button"; b.textContent = text; b.title = title;
          L.DomEvent.on(b, "click", (e) => { L.DomEvent.preventDefault(e); L.DomEvent.stopPropagation(e);
            if (!b.classList.contains("leaflet-disabled")) action(); });
          L.DomEvent.disableClickPropagation(b);
          return b;
        };
        const full = button("fullscreen", "", "fullscreen (key f)", toggleFullscreen);
        full.innerHTML = FULLSCREEN_ICON;
        if (!document.fullscreenEnabled) {
          full.classList.add("leaflet-disabled");
          full.title = "fullscreen: this browser does not allow it here";
        }
        button("pin-map", "☆", "pin this view to My views (key p)", pinView);
        button("help-button", "?", "the keys (key ?)", () => toggleHelp());
        return bar;
      },
    });
    new Buttons({ position: "topleft" }).addTo(deep.map);
    document.addEventListener("fullscreenchange", () => {
      $("fullscreen").title = document.fullscreenElement ? "leave fullscreen (key f, Esc)" : "fullscreen (key f)";
    });
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target;
    if (target && (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) || target.isContentEditable)) return;
    const inMap = $("map").contains(target);  // Leaflet's own keys work there
    const map = deep.map;
    const actions = {
      "?": () => toggleHelp(),
      f: toggleFullscreen,
      p: pinView,
      a: () => setAxes(!$("show-axes").checked),
      h: () => setPanel($("panel").classList.contains("closed")),
      Escape: () => { toggleHelp(false); AXInspector.close(); },
    };
    if (!inMap) {
      Object.assign(actions, {
        "+": () => map.zoomIn(), "=": () => map.zoomIn(), "-": () => map.zoomOut(),
        ArrowLeft: () => map.panBy([-80, 0]), ArrowRight: () => map.panBy([80, 0]),
        ArrowUp: () => map.panBy([0, -80]), ArrowDown: () => map.panBy([0, 80]),
      });
    }
    const action = actions[e.key];
    if (action) { e.preventDefault(); action(); }
  }

  // -- controls that would do nothing now: disabled, saying why -----------------------------
  function disable(element, why) {
    element.disabled = Boolean(why);
    if (why) element.title = why;
    else if (element.dataset.title !== undefined) element.title = element.dataset.title;
    else element.removeAttribute("title");
  }
  function updateDisabled() {
    if (!info) return;
    const o = info.options, coloring = info.colors.coloring, own = DEFAULT_CMAPS[coloring];
    for (const option of $("cmap").options) {
      if (option.value === "") option.text = `default: ${own}`;
      const same = option.value === own;
      disable(option, same ? `${own} is ${coloring}'s own colormap: choosing it changes nothing` : null);
    }
    for (const option of document.querySelector("[data-key=coloring]").options) {
      const needsSamples = option.value === "probability" && o.samples < 2;
      disable(option, needsSamples ? "probability needs samples of 2 or more (set samples above)" : null);
    }
    // residual on an axis needs that axis's window above h = 0, which only the URL sets
    const windows = { "x-param": ["x-range", info.spec.x_range], "y-param": ["y-range", info.spec.y_range] };
    for (const [own, other] of [["x-param", "y-param"], ["y-param", "x-param"]]) {
      const [range, [lo]] = windows[own];
      for (const option of document.querySelector(`[data-key=${own}]`).options) {
        let why = option.value === o[other] ? `${option.value} is already the ${other}` : null;
        if (!why && option.value === "residual" && o[own] !== "residual" && !(lo > 0)) {
          why = `residual needs this axis's window above 0: give ${range}=0.1,20 (say) in the URL`;
        }
        disable(option, why);
      }
    }
    const limits = info.limits || {};
    for (const key of ["samples", "supersample", "steps", "points"]) {
      const input = document.querySelector(`[data-key=${key}]`);
      if (input && limits[key]) input.max = String(limits[key]);
    }
    updatePin();
  }

  // -- My views: pinned in this browser, written as a presets file ---------------------------
  function loadMine() {
    try { return JSON.parse(localStorage.getItem(MINE_KEY) || "[]"); } catch (_) { return []; }
  }
  function saveMine(views) {
    try { localStorage.setItem(MINE_KEY, JSON.stringify(views)); } catch (error) {
      notice(`could not keep My views in this browser: ${error.message}`);
    }
    fillMine();
  }
  // The view as shown: the query with the window on screen (a first screen's query has none).
  function shownQuery() {
    if (!deep.map._loaded || !deep.geometry) return Object.assign({}, query);  // not shown yet
    const v = deep.view();
    const q = Object.assign({}, query, { center: `${v.center[0]},${v.center[1]}`, width: String(v.width) });
    if (info && info.needs_ref && refCache) q.ref = refCache.text; else delete q.ref;
    return q;
  }
  const currentLink = () => `/?${encode(shownQuery())}`;
  function updatePin() {
    const pinned = loadMine().find((v) => v.link === currentLink());
    const why = pinned ? `this view is in My views as ${pinned.name}` : null;
    disable($("pin"), why);
    const mapPin = document.getElementById("pin-map");
    if (mapPin) {
      mapPin.classList.toggle("leaflet-disabled", Boolean(pinned));
      mapPin.textContent = pinned ? "★" : "☆";
      mapPin.title = why || "pin this view to My views (key p)";
    }
  }
  // A small picture of the view: the tile under its centre, from the page's tiles.
  function thumbnail() {
    const tile = deep.centerTile(deep.absoluteZoom());
    const src = deep.cache.get(deep.tileKey(tile));
    if (!src) return Promise.resolve(deep.tileUrl(tile));
    return new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 96;
        canvas.getContext("2d").drawImage(img, 0, 0, 96, 96);
        resolve(canvas.toDataURL("image/png"));
      };
      img.onerror = () => resolve(deep.tileUrl(tile));
      img.src = src;
    });
  }
  async function pinView() {
    if (!info) return;
    const views = loadMine();
    const link = currentLink();
    if (views.some((v) => v.link === link)) { openMine(true); return; }
    const size = deep.map.getSize(), shown = shownQuery();
    const response = await fetch(`/api/view?${encode(shown)}&screen=${size.x}x${size.y}`);
    const body = await response.json();
    if (!response.ok || !body.picture) { notice(`cannot pin this view: ${body.detail || body.command}`); return; }
    let number = views.length + 1;
    while (views.some((v) => v.name === `view-${number}`)) number += 1;
    const v = deep.view(), o = body.options;
    views.push({
      name: `view-${number}`,
      link,
      caption: `${o.preset || "own matrices"}, init ${o.init}, ${body.colors.coloring}; centre ` +
        `${o["x-param"]} ${v.center[0].toPrecision(10)}, ${o["y-param"]} ${v.center[1].toPrecision(10)}, ` +
        `width ${v.width.toPrecision(4)}`,
      picture: body.picture,
      command: body.command,
      thumb: await thumbnail(),
      pinned: new Date().toISOString(),
    });
    saveMine(views);
    openMine(true);
    updatePin();
  }
  function fillMine() {
    const views = loadMine();
    $("mine-count").textContent = views.length ? `(${views.length})` : "";
    disable($("download-mine"), views.length ? null : "nothing to download yet: pin a view with ☆ first");
    $("mine-list").replaceChildren(...views.map((view) => {
      const figure = document.createElement("figure");
      figure.title = `${view.caption}\nclick: open it; double click the name: rename`;
      figure.innerHTML = `<img alt=""><figcaption></figcaption><button class="unpin" title="remove from My views">×</button>`;
      figure.querySelector("img").src = view.thumb;
      figure.querySelector("figcaption").textContent = view.name;
      figure.addEventListener("click", () => openView(view.link));
      figure.querySelector("figcaption").addEventListener("dblclick", (e) => { e.stopPropagation(); rename(view.name); });
      figure.querySelector(".unpin").addEventListener("click", (e) => {
        e.stopPropagation();
        saveMine(loadMine().filter((v) => v.name !== view.name));
        updatePin();
      });
      return figure;
    }));
  }
  function rename(name) {
    const wanted = window.prompt("name (letters, digits, - and _)", name);
    if (!wanted || wanted === name) return;
    const views = loadMine();
    if (!/^[A-Za-z0-9_-]+$/.test(wanted)) { notice(`name ${JSON.stringify(wanted)}: use letters, digits, - and _`); return; }
    if (views.some((v) => v.name === wanted) || presetNames.includes(wanted)) {
      notice(`name ${wanted} is taken (a view or a preset); choose another`); return;
    }
    views.find((v) => v.name === name).name = wanted;
    saveMine(views);
  }
  function openView(link) {
    const next = Object.fromEntries(new URLSearchParams(link.split("?")[1] || ""));
    setQuery(next, { reposition: true });
  }
  function openMine(open) {
    $("strip").classList.remove("closed");
    $("strip").classList.toggle("mine", open);
    $("mine-items").hidden = !open;
  }

  // The presets file: one table per view, holding the spec of the picture the view shows
  // (its window at the size it was pinned at, its precision); each with the command that
  // renders it in the view's init and colours, and the link that reopens it.
  const INT_FIELDS = new Set(["width", "height", "n_points", "steps", "seed", "samples", "supersample"]);
  const NOT_IN_PRESETS = new Set(["format", "attndyn_version", "init", "x0_sha256", "x0_per_pixel"]);
  function tomlValue(key, value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "boolean") return String(value);
    if (Array.isArray(value)) return `[${value.map((v) => tomlValue(key, v)).join(", ")}]`;
    if (INT_FIELDS.has(key)) return String(value);
    return Number.isInteger(value) ? value.toFixed(1) : String(value);  // a float stays a float
  }
  function presetsToml(views) {
    const lines = [
      "# My views from attndyn explore, as presets: render one with",
      `#   attndyn render --presets ${MINE_FILE} --preset NAME`,
      `# or all of them with attndyn gallery --presets ${MINE_FILE} --only NAME ... -o DIR.`,
      "# A preset holds no init and no colours: each view's own command below gives them.",
    ];
    for (const view of views) {
      const argv = view.command.replace(/^attndyn render /, "").split(" ");
      const colours = [];  // the init and colour options of the view's command
      for (let i = 0; i < argv.length; i++) {
        if (["--init", "--coloring", "--cmap"].includes(argv[i])) colours.push(argv[i], argv[i + 1]);
        if (["--invert", "--equalize"].includes(argv[i])) colours.push(argv[i]);
      }
      lines.push("", `# ${location.origin}${view.link}`,
        `# attndyn render --presets ${MINE_FILE} --preset ${view.name} ${colours.join(" ")} -o ${view.name}.png`,
        `[${view.name}]`, `caption = ${tomlValue("caption", view.caption)}`);
      for (const [key, value] of Object.entries(view.picture)) {
        if (!NOT_IN_PRESETS.has(key) && value !== null) lines.push(`${key} = ${tomlValue(key, value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }
  function downloadMine() {
    const views = loadMine();
    if (!views.length) return;
    const url = URL.createObjectURL(new Blob([presetsToml(views)], { type: "application/toml" }));
    const a = document.createElement("a");
    a.href = url; a.download = MINE_FILE;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // -- start --------------------------------------------------------------------------------
  window.explorer = {
    ready: false, deep, stats: deep.stats,
    compiling: () => waiting.kernel,  // the kernels the page is waiting for, or null
    pending: () => deep.pending(),
    visibleTiles: () => deep.visibleTiles(),
    query: () => Object.assign({}, query),
    view: () => deep.view(),
    absoluteZoom: () => deep.absoluteZoom(),
    tileAt: (x, y) => deep.tileAt(deep.map.containerPointToLatLng([x, y])),
    float64Limit: () => deep.float64Limit(),
    atLimit: () => deep.atLimit(),
    myViews: () => loadMine(),
    presetsToml: () => presetsToml(loadMine()),
  };
  addMapButtons();
  buildPanel();
  fillMine();
  try { $("show-axes").checked = localStorage.getItem(AXES_KEY) === "1"; } catch (_) { /* none */ }
  setInterval(showLoading, LOADING_EVERY_MS);
  const narrow = window.innerWidth < NARROW;
  setPanel(!narrow);
  $("strip").classList.toggle("closed", narrow);
  statusShown();
  watchKernels();
  AXInspector.setup();
  $("preset").add(new Option("(none)", ""));
  deep.map.on("mousemove", onHover);
  deep.map.on("click", onClick);
  buildStrip().then((names) => {
    refresh({ reposition: true }).then(() => {
      // thumbnails after the first screen, so they do not delay it
      let filled = false;
      const fill = () => { if (!filled) { filled = true; fillStrip(names); } };
      if (deep.pending() === 0) fill(); else deep.layer.once("load", fill);
      setTimeout(fill, 5000);
    });
  });
})();
