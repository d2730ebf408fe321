// The published gallery: field tiles coloured in the browser (attndyn/publish, docs/publish.md).
//
// manifest.js sets window.ATTNDYN_SITE (the spec, the grid, the zoom levels, each field's
// coding with its equalisation table, the colormaps' tables). Tiles are scripts
// (tiles/Z/X/Y.js calls attndynTile(name, {field: PNG as base64})), so the page works from
// file:// as from any static server; a tile's PNGs are decoded from memory (no cross-origin
// image, so the canvas stays readable) into integer codes once, and every colouring is a
// look-up table over the codes: changing colouring, cmap, invert or equalize fetches nothing
// and repaints the loaded tiles. The view is the URL's hash: a share link reopens it.
(async function () {
  "use strict";
  const M = window.ATTNDYN_SITE, TABLES = window.ATTNDYN_TABLES;
  const T = M.tile_size, FULL = M.full_zoom, MAXZ = M.max_zoom;
  const G = M.grid, SCALE = 2 ** FULL;
  const DEFAULT_CMAPS = { binary: "gray", "log-delta": "magma", "sync-step": "inferno",
    probability: "gray", clusters: "tab10" };  // attndyn.pictures.coloring.DEFAULT_CMAPS
  const FIELD_OF = { binary: "labels", "log-delta": "delta", "sync-step": "sync_step",
    clusters: "clusters", probability: "probability" };
  const COLORINGS = Object.keys(FIELD_OF).filter((c) => FIELD_OF[c] in M.fields);
  const TILE_CACHE = 256;  // decoded tiles kept
  const $ = (id) => document.getElementById(id);

  // -- state: the URL's hash ------------------------------------------------------------------
  const state = { coloring: M.colors.coloring, cmap: M.colors.cmap,
    invert: M.colors.invert, equalize: M.colors.equalize, axes: false };  // publish's --coloring
  let start = null;  // {x, y, z} of the hash
  function readHash() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (COLORINGS.includes(q.get("coloring"))) {  // a link's colours, whole
      state.coloring = q.get("coloring");
      state.cmap = q.get("cmap") && q.get("cmap") in TABLES.luts ? q.get("cmap") : "";
      state.invert = q.get("invert") === "1";
      state.equalize = q.get("equalize") === "1";
    }
    state.axes = q.get("axes") === "1";
    const x = parseFloat(q.get("x")), y = parseFloat(q.get("y")), z = parseInt(q.get("z"), 10);
    if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)) start = { x, y, z };
  }
  function writeHash() {
    const c = map.getCenter(), p = paramsOf(c);
    const q = new URLSearchParams();
    q.set("coloring", state.coloring);
    if (state.cmap) q.set("cmap", state.cmap);
    if (state.invert) q.set("invert", "1");
    if (state.equalize) q.set("equalize", "1");
    if (state.axes) q.set("axes", "1");
    q.set("z", String(map.getZoom()));
    q.set("x", String(p.x));
    q.set("y", String(p.y));
    history.replaceState(null, "", "#" + q.toString());
    $("link").value = location.href;
    $("render-command").value = renderCommand();
  }
  // The attndyn render command of the window shown, at the window's size in screen pixels.
  function renderCommand() {
    const b = map.getBounds(), size = map.getSize();
    const lo = paramsOf(b.getSouthWest()), hi = paramsOf(b.getNorthEast());
    const colours = [];
    if (state.coloring !== "binary") colours.push("--coloring", state.coloring);
    if (state.cmap) colours.push("--cmap", state.cmap);
    if (state.invert) colours.push("--invert");
    if (state.equalize) colours.push("--equalize");
    return `${M.render_command} --x-range=${lo.x},${hi.x} --y-range=${lo.y},${hi.y} ` +
      `--size ${size.x}x${size.y} ${colours.join(" ")} -o view.png`.replace("  ", " ");
  }

  // -- geometry (pyramid.py): the grid in the bottom-left of a world of T x T at zoom 0 -------
  // L.CRS.Simple puts latlng (lat, lng) at world pixel (lng, -lat).
  function paramsOf(latlng) {  // parameter values at a point (level-0 pixel centres on grid)
    const u = latlng.lng * SCALE - 0.5, i = (T + latlng.lat) * SCALE - 0.5;
    return { x: G.x0 + u * G.dx, y: G.y0 + i * G.dy };
  }
  function latlngOf(x, y) {
    const u = G.dx ? (x - G.x0) / G.dx : 0, i = G.dy ? (y - G.y0) / G.dy : 0;
    return L.latLng((i + 0.5) / SCALE - T, (u + 0.5) / SCALE);
  }
  const gridBounds = L.latLngBounds(L.latLng(-T, 0), L.latLng(-T + G.rows / SCALE, G.cols / SCALE));
  function tileExists(z, x, y) {
    if (z < 0 || z > MAXZ) return false;
    const level = M.levels[z], yb = 2 ** z - 1 - y;
    return x >= 0 && yb >= 0 && x * T < level.cols && yb * T < level.rows;
  }

  // -- tables ---------------------------------------------------------------------------------
  function bytesOf(text) {
    const s = atob(text), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const lutCache = new Map(), rankCache = new Map();
  function lut(name, reversed) {
    const key = name + (reversed ? "_r" : "");
    if (!lutCache.has(key)) lutCache.set(key, bytesOf(TABLES.luts[name][reversed ? "rgb_r" : "rgb"]));
    return lutCache.get(key);
  }
  function ranks(field) { return rankCache.get(field); }
  async function inflate(text) {  // zlib data (the manifest's ranks) to bytes
    const stream = new Blob([bytesOf(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const means = new Map();  // field with bins -> Float64Array of each code's value
  async function loadRanks() {  // each field's equalisation table, from its differences
    for (const [name, f] of Object.entries(TABLES.fields)) {
      if (f.means_deflate) {
        const raw = await inflate(f.means_deflate), view = new DataView(raw.buffer);
        const values = new Float64Array(raw.length / 8);
        for (let q = 0; q < values.length; q++) values[q] = view.getFloat64(8 * q, true);
        means.set(name, values);
      }
      const bytes = await inflate(f.ranks_deflate), view = new DataView(bytes.buffer);
      const out = new Uint32Array(bytes.length / 4);
      let sum = 0;
      for (let q = 0; q < out.length; q++) { sum += view.getUint32(4 * q, true); out[q] = sum; }
      rankCache.set(name, out);
    }
  }
  // The unit value u in [0, 1] that attndyn.pictures.coloring.normalise gives the value of code q >= 1.
  function unitOf(coloring, f, q, rank) {
    if (rank) return rank[q] / f.count;
    if (coloring === "binary") return q - 1;
    if (coloring === "probability") return Math.fround((q - 1) / f.denominator);
    if (coloring === "clusters") return ((q - 1) / 9) % 1;
    return f.hi > f.lo ? (means.get(FIELD_OF[coloring])[q] - f.lo) / (f.hi - f.lo) : 0.5;
  }
  // One RGBA word per code: the colormap's entry min(floor(u N), N - 1), black for no value.
  function colourTable() {
    const name = FIELD_OF[state.coloring], f = M.fields[name];
    const rgb = lut(state.cmap || DEFAULT_CMAPS[state.coloring], state.invert);
    const n = rgb.length / 3, size = 1 << f.bits;
    const rank = state.equalize ? ranks(name) : null;
    const table = new Uint32Array(size);
    table[0] = 0xff000000;
    for (let q = 1; q < size; q++) {
      let xa = unitOf(state.coloring, f, q, rank) * n;
      if (xa === n) xa = n - 1;
      const k = Math.min(Math.max(Math.trunc(xa), 0), n - 1);
      table[q] = (0xff000000 | (rgb[3 * k + 2] << 16) | (rgb[3 * k + 1] << 8) | rgb[3 * k]) >>> 0;
    }
    return table;
  }
  let table = null;

  // -- tiles ----------------------------------------------------------------------------------
  const pending = new Map();  // tile name -> resolve of its script's promise
  const tiles = new Map();  // tile name -> promise of {field: {w, h, codes}}
  window.attndynTile = function (name, payload) {
    const resolve = pending.get(name);
    pending.delete(name);
    if (resolve) resolve(payload);
  };
  async function decodeField(text, bits) {
    const blob = new Blob([bytesOf(text)], { type: "image/png" });
    const bitmap = await createImageBitmap(blob,
      { premultiplyAlpha: "none", colorSpaceConversion: "none" });
    const w = bitmap.width, h = bitmap.height;
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, w, h).data, codes = new Uint16Array(w * h);
    if (bits === 8) for (let i = 0; i < codes.length; i++) codes[i] = rgba[4 * i];
    else for (let i = 0; i < codes.length; i++) codes[i] = (rgba[4 * i] << 8) | rgba[4 * i + 1];
    return { w, h, codes };
  }
  async function decodeTile(payload) {
    const out = {};
    for (const [name, text] of Object.entries(payload)) {
      out[name] = await decodeField(text, M.fields[name].bits);
    }
    return out;
  }
  function loadTile(name) {
    if (tiles.has(name)) {
      const promise = tiles.get(name);
      tiles.delete(name); tiles.set(name, promise);  // most recently used last
      return promise;
    }
    const promise = new Promise((resolve, reject) => {
      pending.set(name, resolve);
      const script = document.createElement("script");
      script.src = `tiles/${name}.js`;
      script.onload = () => {
        script.remove();
        if (pending.has(name)) { pending.delete(name); reject(new Error(`tile ${name} is not a tile`)); }
      };
      script.onerror = () => {
        script.remove(); pending.delete(name); tiles.delete(name);
        reject(new Error(`tile ${name} is missing`));
      };
      document.head.appendChild(script);
    }).then(decodeTile);
    tiles.set(name, promise);
    while (tiles.size > TILE_CACHE) tiles.delete(tiles.keys().next().value);
    return promise;
  }
  function paint(canvas) {
    const data = canvas._fields;
    if (!data) return;
    const f = data[FIELD_OF[state.coloring]];
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(f.w, f.h);
    const out = new Uint32Array(image.data.buffer), codes = f.codes;
    for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]];
    ctx.clearRect(0, 0, T, T);
    ctx.putImageData(image, 0, T - f.h);  // a short tile sits at the bottom of its square
  }
  const FieldLayer = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = L.DomUtil.create("canvas", "leaflet-tile");
      canvas.width = canvas.height = T;
      if (!tileExists(coords.z, coords.x, coords.y)) {
        setTimeout(() => done(null, canvas), 0);
        return canvas;
      }
      const name = `${coords.z}/${coords.x}/${coords.y}`;
      canvas.dataset.tile = name;
      loadTile(name).then((data) => {
        canvas._fields = data;
        paint(canvas);
        done(null, canvas);
      }, (error) => { showError(error.message); done(error, canvas); });
      return canvas;
    },
  });
  function repaint() {
    const started = performance.now();
    table = colourTable();
    let count = 0;
    for (const key in layer._tiles) {
      const el = layer._tiles[key].el;
      if (el._fields) { paint(el); count++; }
    }
    window.attndynLastRepaint = { ms: performance.now() - started, tiles: count };
  }

  // -- the page -------------------------------------------------------------------------------
  function showError(text) { $("error").textContent = text; $("error").hidden = !text; }
  readHash();
  await loadRanks();
  table = colourTable();
  document.title = M.title;
  $("title").textContent = M.title;
  const map = L.map("map", { crs: L.CRS.Simple, minZoom: 0, maxZoom: MAXZ + 4, zoomSnap: 1,
    fadeAnimation: false,
    attributionControl: false, maxBounds: gridBounds.pad(0.5) });
  const layer = new FieldLayer({ tileSize: T, minZoom: 0, maxZoom: MAXZ + 4, maxNativeZoom: MAXZ,
    bounds: gridBounds, noWrap: true, keepBuffer: 1 });
  layer.addTo(map);
  window.attndynMap = map;
  window.attndynLayer = layer;
  if (start) map.setView(latlngOf(start.x, start.y), Math.min(Math.max(start.z, 0), MAXZ + 4));
  else map.fitBounds(gridBounds);

  for (const c of COLORINGS) $("coloring").add(new Option(c, c));
  $("cmap").add(new Option("(the coloring's default)", ""));
  for (const name of Object.keys(TABLES.luts)) $("cmap").add(new Option(name, name));
  function showState() {
    $("coloring").value = state.coloring;
    $("cmap").value = state.cmap;
    $("cmap").options[0].text = `(default: ${DEFAULT_CMAPS[state.coloring]})`;
    $("invert").checked = state.invert;
    $("equalize").checked = state.equalize;
    $("show-axes").checked = state.axes;
  }
  function recolour() {
    state.coloring = $("coloring").value;
    state.cmap = $("cmap").value;
    state.invert = $("invert").checked;
    state.equalize = $("equalize").checked;
    showState();
    repaint();
    writeHash();
  }
  for (const id of ["coloring", "cmap", "invert", "equalize"]) $(id).addEventListener("change", recolour);
  window.addEventListener("hashchange", () => {
    readHash(); showState(); repaint(); drawAxes();
    if (start) map.setView(latlngOf(start.x, start.y), start.z);
  });
  map.on("moveend zoomend", writeHash);

  // -- axes: rulers with the values of the swept parameters (explorer/static/explorer.js) ------
  const PARAM_NAMES = { wk00: "a = W_K[0,0]", wk11: "b = W_K[1,1]", beta: "β" };
  const paramName = (p) => PARAM_NAMES[p] || `${p.slice(0, 2).toUpperCase().replace("W", "W_")}[${p[2]},${p[3]}]`;
  function niceStep(span) {  // a round step (1, 2 or 5 times a power of ten) near `span`
    const p = Math.pow(10, Math.floor(Math.log10(span))), f = span / p;
    return p * (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10);
  }
  function ticks(center, perPx, lengthPx, spacingPx) {
    const step = niceStep(Math.abs(perPx) * spacingPx);
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
    $("axes").hidden = !state.axes;
    document.body.classList.toggle("axes-on", state.axes);
    if (!state.axes || !G.dx || !G.dy) return;
    const size = map.getSize(), c = paramsOf(map.getCenter());
    const perWorld = SCALE / 2 ** map.getZoom();  // level-0 pixels per screen pixel
    const top = ticks(c.x, G.dx * perWorld, size.x, 150).map((t) =>
      `<span class="tick" style="left:${t.at.toFixed(1)}px">${t.text}</span>`).join("");
    const left = ticks(c.y, G.dy * perWorld, size.y, 90).map((t) =>  // screen y runs downward
      `<span class="tick" style="top:${(size.y - t.at).toFixed(1)}px">${t.text}</span>`).join("");
    $("axis-x").innerHTML = `${top}<span class="name">${paramName(G.x_param)} →</span>`;
    $("axis-y").innerHTML = `${left}<span class="name">${paramName(G.y_param)} ↑</span>`;
  }
  $("show-axes").addEventListener("change", () => {
    state.axes = $("show-axes").checked; drawAxes(); writeHash();
  });
  map.on("move zoomend resize", drawAxes);
  showState();
  writeHash();
  drawAxes();
  $("copy-link").addEventListener("click", () => {
    $("link").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("link").value).catch(() => {});
  });
  $("panel-toggle").addEventListener("click", () => {
    const closed = $("panel").classList.toggle("closed");
    $("panel-toggle").setAttribute("aria-expanded", String(!closed));
  });
  if (window.innerWidth < 700) $("panel").classList.add("closed");
  $("about").textContent = `${G.cols}×${G.rows} pixels, zoom 0 to ${MAXZ}; coloured in your ` +
    `browser from field tiles (attndyn ${M.attndyn_version} publish)`;

  if (M.views.length) {
    $("views-box").hidden = false;
    for (const view of M.views) {
      const button = document.createElement("button");
      button.textContent = view.name;
      button.title = view.caption || view.name;
      button.addEventListener("click", () => {
        const [x0, x1] = view.x_range, [y0, y1] = view.y_range;
        const colors = view.colors || {};
        if (colors.coloring && COLORINGS.includes(colors.coloring)) state.coloring = colors.coloring;
        if ("cmap" in colors) state.cmap = colors.cmap in TABLES.luts ? colors.cmap : "";
        if ("invert" in colors) state.invert = Boolean(colors.invert);
        if ("equalize" in colors) state.equalize = Boolean(colors.equalize);
        showState(); repaint();
        map.fitBounds(L.latLngBounds(latlngOf(x0, y0), latlngOf(x1, y1)));
      });
      $("views").appendChild(button);
    }
  }

  // -- the inspector: the pixel's values from the tiles ---------------------------------------
  function valueText(name, q) {
    const f = M.fields[name];
    if (q === 0) {
      if (name === "sync_step") return "sync step: never synchronised for good";
      return name === "delta" ? "Δ not finite" : `${name}: no value (not finite)`;
    }
    if (name === "labels") return `label ${q - 1} (${q === 2 ? "synchronised" : "not synchronised"})`;
    if (name === "clusters") return `clusters ${q}`;
    if (name === "probability") return `probability ${((q - 1) / f.denominator).toFixed(4)}`;
    const v = means.get(name)[q];  // the mean of the values in the code's bin
    if (name === "delta") return `log10 Δ ≈ ${v.toFixed(5)} (Δ ≈ ${(10 ** v).toPrecision(4)})`;
    return `sync step ≈ ${v.toFixed(4)}`;
  }
  map.on("click", async (event) => {
    const u = Math.floor(event.latlng.lng * SCALE), i = Math.floor((T + event.latlng.lat) * SCALE);
    if (u < 0 || i < 0 || u >= G.cols || i >= G.rows) { $("inspector").hidden = true; return; }
    const z = Math.min(map.getZoom(), MAXZ), step = 2 ** (FULL - z);
    const ul = Math.floor(u / step), il = Math.floor(i / step);
    const tx = Math.floor(ul / T), yb = Math.floor(il / T), ty = 2 ** z - 1 - yb;
    let data;
    try { data = await loadTile(`${z}/${tx}/${ty}`); } catch (error) { showError(error.message); return; }
    const row = il * step, col = ul * step;  // the level-0 pixel the tile holds
    const x = G.x0 + col * G.dx, y = G.y0 + row * G.dy;
    const lines = [`row ${row}, column ${col} of ${G.rows}×${G.cols}` +
      (step > 1 ? ` (zoom ${z}: one pixel in ${step} along each axis)` : ""),
      `${G.x_param} = ${x}, ${G.y_param} = ${y}`];
    const order = ["labels", "delta", "sync_step", "clusters", "probability"];
    for (const name of order.filter((n) => n in M.fields)) {
      const f = data[name], c = ul - tx * T, r = f.h - 1 - (il - yb * T);
      lines.push(valueText(name, f.codes[r * f.w + c]));
    }
    $("inspector-text").textContent = lines.join("\n");
    $("inspector-command").value = `${M.command} --at=${x},${y}`;
    $("inspector").hidden = false;
  });
  $("inspector-close").addEventListener("click", () => { $("inspector").hidden = true; });
  // Where the pointer is, in the swept parameters (the explorer's status line).
  map.on("mousemove", (event) => {
    const p = paramsOf(event.latlng);
    $("where").textContent = `${G.x_param} = ${p.x.toPrecision(8)}, ${G.y_param} = ${p.y.toPrecision(8)}`;
  });
  map.on("mouseout", () => { $("where").textContent = ""; });
})();
