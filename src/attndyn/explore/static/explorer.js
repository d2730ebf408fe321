// The explorer page: the URL holds the whole view; the panel edits it; the map shows it.
//
// State is the URL query, under render's option names (and coloring, cmap, invert, equalize,
// center, width, ref). Every change goes through setQuery(): it pushes a history entry (back
// and forward move through views), asks the server to check the view (/api/view: a bad value
// comes back as one line, shown in the panel), and updates the map: new tile query when the
// spec or the colours change (colours only re-colour: the server keeps the tiles' fields),
// a new position when center/width change.
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
    "wv00", "wv01", "wv10", "wv11", "beta"];
  const CMAPS = ["", "gray", "magma", "inferno", "viridis", "plasma", "cividis", "twilight_shifted",
    "twilight", "turbo", "cubehelix", "bone", "copper", "ocean", "terrain", "tab10", "tab20", "hsv"];

  let query = readQuery();
  let info = null;        // the server's description of the current view
  let refCache = null;    // {z, text}: the reference tile of the colours at zoom z
  let hoverBusy = false, hoverNext = null;

  const deep = new AXMap.DeepMap($("map"), {
    moved: onMapMoved,
    tileError: (message) => notice(message),
    tileExtra: (absZ) => refParam(absZ),
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
  function askPreview() {
    const ref = info.needs_ref ? "&ref=0,0,0" : "";
    return fetch(`/tiles/0/0/0.png?${deep.tileQuery}${ref}`)
      .then((response) => (response.ok ? response.blob() : null)).catch(() => null);
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
    history.pushState(null, "", `${location.pathname}?${encode(query)}`);
    hideCopied();
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
    const empty = ["where", "under", "notice"].every((id) => !$(id).textContent);
    $("status").classList.toggle("empty", empty);
  }

  // -- the kernels' compile: why the tiles wait --------------------------------------------
  // While tiles are pending, ask /api/health every HEALTH_EVERY_MS; while a precision is
  // compiling, say so over the map with a clock that ticks between the polls.
  const waiting = { kernel: null, at: 0 };
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  function showWait() {
    const k = waiting.kernel;
    if (!k) { $("wait").hidden = true; return; }
    const elapsed = k.elapsed_s + (performance.now() - waiting.at) / 1000;
    const what = k.precision === "float64" ? "the float64 kernels for deep zooms" : "the kernels for this machine";
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
        const value = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value;
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
    $("strip-toggle").addEventListener("click", () => $("strip").classList.toggle("closed"));
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
    const size = $("export-size").value.trim() || `${deep.map.getSize().x}x${deep.map.getSize().y}`;
    const v = deep.view();
    const q = Object.assign({}, query, { center: `${v.center[0]},${v.center[1]}`, width: String(v.width), size });
    delete q.ref;
    $("export-status").textContent = "starting";
    const response = await fetch(`/api/export?${encode(q)}`, { method: "POST" });
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
  async function buildStrip() {
    const presets = await (await fetch("/api/presets")).json();
    const names = [];
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
  };
  buildPanel();
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
