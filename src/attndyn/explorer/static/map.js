// The deep-zoom map: Leaflet in a local frame that is re-anchored as the view goes deep.
//
// The server's tiles are addressed absolutely: (Z, X, Y) with X rightward, Y upward, tile
// (0, 0, 0) = the spec's window, and at zoom Z a tile is 1 / 2^Z of it on each side. Leaflet
// keeps its coordinates in doubles scaled by 256 * 2^zoom, which stop being exact near zoom
// 26 to 30, while the float64 limit of the landscape lies near zoom 45. So Leaflet never sees
// absolute coordinates. It works in a local frame whose unit square is one *anchor* tile
// (anchor.z, anchor.x, anchor.y; BigInt x, y): Leaflet zoom z is absolute zoom anchor.z + z,
// local (lng, lat) is the point anchor + (lng, lat) anchor tiles, and Leaflet tile (x, y) at
// zoom z is absolute tile (anchor.x * 2^z + x, anchor.y * 2^z - y - 1) (Leaflet's y runs
// downward). When the local zoom passes DEEP (or drops under SHALLOW with a deeper anchor),
// the map is re-anchored RELAX levels above the view's zoom: same view, new frame, so zooming
// goes on. Positions are moved between frames exactly, with BigInt tile indices.
"use strict";

const AXMap = (() => {
  const DEEP = 16, SHALLOW = 3, RELAX = 8, MAX_ZOOM = 62, RETRIES = 30, CACHED_TILES = 600;
  const ANCESTOR_LEVELS = 8;  // how far up a tile looks for a picture to show meanwhile
  const RESOLVING_ULPS = 4;  // as the server's views.RESOLVING_ULPS

  const crs = L.extend({}, L.CRS.Simple, {
    transformation: new L.Transformation(1, 0, -1, 0),
    scale: (z) => 256 * Math.pow(2, z),
    zoom: (s) => Math.log(s / 256) / Math.LN2,
  });

  const pow2 = (k) => Math.pow(2, k);
  const bigFloor = (v) => BigInt(Math.floor(v));

  // The smallest zoom at which tile (0, 0, 0) (256 x 256 screen pixels at zoom 0, whatever
  // its window's aspect) covers a width x height map.
  function coverZoom(width, height) {
    return Math.max(0, Math.ceil(Math.log2(Math.max(width, height) / 256) - 1e-9));
  }

  // The tiles' pictures that the page has: absolute tile key (z/x/y and the tile query, without
  // the colours' reference) -> object URL of the full tile's PNG; the least recently used
  // are dropped past `size`. A tile that is asked for again (a re-anchored frame, a pan back)
  // shows at once, and a deeper tile shows its ancestor's part, upscaled, until it comes.
  class TileCache {
    constructor(size) { this.size = size; this.urls = new Map(); }
    get(key) {
      const url = this.urls.get(key);
      if (url) { this.urls.delete(key); this.urls.set(key, url); }
      return url;
    }
    put(key, url) {
      const old = this.urls.get(key);
      if (old) { this.urls.delete(key); if (old !== url) URL.revokeObjectURL(old); }
      this.urls.set(key, url);
      while (this.urls.size > this.size) {
        const [oldest, oldUrl] = this.urls.entries().next().value;
        this.urls.delete(oldest);
        URL.revokeObjectURL(oldUrl);
      }
    }
    clear() { for (const url of this.urls.values()) URL.revokeObjectURL(url); this.urls.clear(); }
  }

  // A picture inside a tile's box: `src` scaled by `scale` and shifted by (left, top) px, so
  // that the part of an ancestor tile over this tile fills it.
  function picture(src, scale, left, top, className) {
    const img = document.createElement("img");
    img.alt = "";
    img.className = className;
    img.style.width = img.style.height = `${256 * scale}px`;
    img.style.left = `${left}px`;
    img.style.top = `${top}px`;
    img.src = src;
    return img;
  }

  // A GridLayer whose tiles are progressive: at once the nearest ancestor's part upscaled (if
  // the page has it), else the server's coarse preview (the tile at a quarter of its
  // resolution, asked for first); then the full tile replaces it. Tiles are fetched, so that
  // they can be aborted, and 503s are retried. A tile's element is a box holding its
  // pictures; `_done` is set when the full tile is in (or failed), `_coarse` when a coarse
  // picture shows.
  const FetchLayer = L.GridLayer.extend({
    initialize(owner, options) {
      this.owner = owner;
      L.GridLayer.prototype.initialize.call(this, options);
      this.on("tileunload", (e) => {
        if (e.tile._abort && !e.tile._done) { e.tile._abort.abort(); owner.stats.aborted += 1; }
        if (e.tile._previewUrl && !e.tile._done) URL.revokeObjectURL(e.tile._previewUrl);
      });
    },
    createTile(coords, done) {
      const owner = this.owner, tile = owner.absoluteTile(coords);
      const box = document.createElement("div");
      box.className = "ax-tile";
      const url = owner.tileUrl(tile), key = owner.tileKey(tile);
      box.dataset.url = url;
      box._asked = performance.now();
      owner.stats.requested += 1;
      let told = false;  // Leaflet is told once: at the first true picture, or the failure
      const tell = (error) => { if (!told) { told = true; done(error, box); } };
      const cached = owner.cache.get(key);
      if (cached) {  // the page has this tile: at once
        const img = picture(cached, 1, 0, 0, "ax-full");
        img.onload = () => { box._done = true; owner.stats.loaded += 1; owner.stats.fromCache += 1; tell(null); };
        img.onerror = () => { box._done = true; tell(new Error("bad image")); };
        box.appendChild(img);
        return box;
      }
      const controller = new AbortController();
      box._abort = controller;
      const showCoarse = (src, scale, left, top, kind) => {
        if (box._done) return;
        const old = box.querySelector(".ax-coarse");
        const img = picture(src, scale, left, top, "ax-coarse");
        img.onload = () => {
          if (box._done) { img.remove(); return; }
          if (old) old.remove();
          if (!box._coarse) { box._coarse = kind; owner.stats.coarse += 1; owner.noteFirstPicture(box); }
          box._coarse = kind;
          tell(null);
        };
        box.appendChild(img);
      };
      const ancestor = owner.ancestorPicture(tile);
      if (ancestor) showCoarse(ancestor.src, ancestor.scale, ancestor.left, ancestor.top, "ancestor");
      if (owner.previews && (!ancestor || ancestor.levels > 2)) {
        owner.fetchTile(`${url}&preview=1`, controller.signal, "high").then((blob) => {
          if (box._done) return;
          const src = URL.createObjectURL(blob);
          showCoarse(src, 1, 0, 0, "preview");
          box._previewUrl = src;
        }).catch((error) => {
          if (error.name !== "AbortError" && /preview/.test(error.message)) owner.previews = false;
        });
      }
      // the full tile is asked for after the batch's previews (Leaflet makes a batch of tiles
      // in one loop), so the browser sends those first
      setTimeout(() => {
        if (controller.signal.aborted) return;
        owner.fetchTile(url, controller.signal, "low").then((blob) => {
          const src = URL.createObjectURL(blob);
          const img = picture(src, 1, 0, 0, "ax-full");
          img.onload = () => {
            box._done = true;
            owner.cache.put(key, src);
            for (const coarse of box.querySelectorAll(".ax-coarse")) coarse.remove();
            if (box._previewUrl) URL.revokeObjectURL(box._previewUrl);
            owner.stats.loaded += 1;
            if (!box._coarse) owner.noteFirstPicture(box);
            tell(null);
          };
          img.onerror = () => { box._done = true; tell(new Error("bad image")); };
          box.appendChild(img);
        }).catch((error) => {
          box._done = true;
          if (error.name === "AbortError") return;
          box._failed = error.message;
          owner.stats.failed += 1;
          owner.onTileError(error.message, tile);
          tell(box._coarse ? null : error);  // a coarse picture stays: the last good level
        });
      }, 0);
      return box;
    },
  });

  class DeepMap {
    constructor(element, callbacks) {
      this.callbacks = callbacks;  // {moved(), tileError(message)}
      this.anchor = { z: 0, x: 0n, y: 0n };
      this.geometry = null;  // {x_origin, y_origin, tile_width, tile_height, columns, rows}
      this.tileQuery = "";
      this.stats = { requested: 0, loaded: 0, aborted: 0, failed: 0, coarse: 0, fromCache: 0,
        firstMs: [] };  // firstMs: ms from asking to a tile's first true picture, the last 200
      this.cache = new TileCache(CACHED_TILES);
      this.previews = true;  // whether the server makes coarse previews (learnt from a 422)
      this.limit = null;  // {z, reason}: the deepest absolute zoom here, when it is reached
      this.quiet = 0;  // moves made by the page itself (not reported as the user's)
      this.map = L.map(element, {
        crs, zoomControl: true, attributionControl: false, zoomSnap: 1, zoomDelta: 1,
        minZoom: 0, maxZoom: DEEP + 4, inertia: false, fadeAnimation: false,
      });
      this.layer = new FetchLayer(this, { tileSize: 256, keepBuffer: 1, updateWhenZooming: false,
        noWrap: true, maxNativeZoom: DEEP + 4, maxZoom: DEEP + 4 });
      this.map.on("moveend", () => this.onMoveEnd());
    }

    // -- frames ------------------------------------------------------------------------------
    absoluteZoom() { return this.anchor.z + Math.round(this.map.getZoom()); }

    // The absolute tile and the grid pixel under a local point, at the current zoom.
    tileAt(latlng) {
      const z = Math.round(this.map.getZoom());
      const s = pow2(z), fx = latlng.lng * s, fy = latlng.lat * s;
      const tx = Math.floor(fx), ty = Math.floor(fy);
      const g = this.geometry;
      return {
        z: this.anchor.z + z,
        x: (this.anchor.x << BigInt(z)) + BigInt(tx),
        y: (this.anchor.y << BigInt(z)) + BigInt(ty),
        col: Math.min(g.columns - 1, Math.floor((fx - tx) * g.columns)),
        row: Math.min(g.rows - 1, Math.floor((fy - ty) * g.rows)),
      };
    }

    // The absolute tile at absolute zoom absZ (>= the anchor's) under the view's centre.
    centerTile(absZ) {
      const c = this.map.getCenter(), z = Math.max(0, absZ - this.anchor.z), s = pow2(z);
      return {
        z: this.anchor.z + z,
        x: (this.anchor.x << BigInt(z)) + bigFloor(c.lng * s),
        y: (this.anchor.y << BigInt(z)) + bigFloor(c.lat * s),
      };
    }

    // Parameter values (x, y) of a local point: anchor's corner + local offset.
    toParams(latlng) {
      const g = this.geometry, scale = pow2(-this.anchor.z);
      const w = g.tile_width * scale, h = g.tile_height * scale;
      return {
        x: (g.x_origin + Number(this.anchor.x) * w) + latlng.lng * w,
        y: (g.y_origin + Number(this.anchor.y) * h) + latlng.lat * h,
      };
    }

    // The view as center and width (the visible extent of the horizontal axis).
    view() {
      const size = this.map.getSize();
      const c = this.toParams(this.map.getCenter());
      const g = this.geometry;
      const width = (size.x / 256) * g.tile_width * pow2(-this.absoluteZoom());
      return { center: [c.x, c.y], width };
    }

    // Show center/width (or, without them, the spec's window at the smallest zoom at which
    // it covers the whole map, so the first screen is filled, never a small square in a large
    // window; its centre moved left towards the middle of the part of the map that the `inset`
    // px at the right (the open panel) leave free, as far as it still covers the map): pick
    // the absolute zoom, an anchor RELAX levels above it under the centre, and the local view.
    show(center, width, redraw = false, inset = 0) {
      const g = this.geometry, size = this.map.getSize();
      let zoom, shift = 0;  // shift: px the map's centre lies right of the window's centre
      if (center && width) {
        zoom = Math.round(Math.log2((size.x / 256) * g.tile_width / width));
      } else {
        zoom = coverZoom(size.x, size.y);
        center = [g.x_origin + g.tile_width / 2, g.y_origin + g.tile_height / 2];
        shift = Math.max(0, Math.min(inset / 2, (256 * pow2(zoom) - size.x) / 2));
      }
      // never deeper than float64 resolves there (a link made elsewhere, a narrower window)
      zoom = Math.max(0, Math.min(MAX_ZOOM, zoom, this.float64Limit({ x: center[0], y: center[1] })));
      this.limit = null;
      const az = Math.max(0, zoom - RELAX);
      const w = g.tile_width * pow2(-az), h = g.tile_height * pow2(-az);
      const u = (center[0] - g.x_origin) / w + shift / (256 * pow2(zoom - az));
      const v = (center[1] - g.y_origin) / h;
      const ax = Math.floor(u), ay = Math.floor(v);
      this.setFrame({ z: az, x: BigInt(ax), y: BigInt(ay) }, L.latLng(v - ay, u - ax), zoom - az, redraw);
    }

    // Put the map in the frame of `anchor`, at a local position and zoom, without reporting a
    // move; the tiles are redrawn when the frame changed.
    setFrame(anchor, latlng, localZoom, redraw = false) {
      const a = this.anchor;
      const changed = a.z !== anchor.z || a.x !== anchor.x || a.y !== anchor.y;
      this.anchor = anchor;
      this.quiet += 1;
      this.map.setView(latlng, localZoom, { animate: false });
      this.quiet -= 1;
      if (!this.map.hasLayer(this.layer)) this.layer.addTo(this.map);
      else if (changed || redraw) this.layer.redraw();
      this.updateMaxZoom();
    }

    // Move to the anchor at absolute zoom newZ under the view's centre, keeping the view.
    reanchor(newZ) {
      const c = this.map.getCenter();
      const d = newZ - this.anchor.z, absZ = this.absoluteZoom();
      let ax, ay, lng, lat;
      if (d >= 0) {
        const u = c.lng * pow2(d), v = c.lat * pow2(d);
        ax = (this.anchor.x << BigInt(d)) + bigFloor(u); lng = u - Math.floor(u);
        ay = (this.anchor.y << BigInt(d)) + bigFloor(v); lat = v - Math.floor(v);
      } else {
        const k = BigInt(-d), mask = (1n << k) - 1n, s = pow2(d);
        const u = (Number(this.anchor.x & mask) + c.lng) * s;
        const v = (Number(this.anchor.y & mask) + c.lat) * s;
        ax = (this.anchor.x >> k) + bigFloor(u); lng = u - Math.floor(u);
        ay = (this.anchor.y >> k) + bigFloor(v); lat = v - Math.floor(v);
      }
      this.setFrame({ z: newZ, x: ax, y: ay }, L.latLng(lat, lng), absZ - newZ);
      this.callbacks.moved();
    }

    onMoveEnd() {
      if (this.quiet || !this.geometry) return;
      const z = Math.round(this.map.getZoom()), absZ = this.absoluteZoom();
      if (this.limit && absZ < this.limit.z) this.limit = null;  // zoomed back out
      this.updateMaxZoom();
      if (z > DEEP && absZ < MAX_ZOOM) return this.reanchor(absZ - RELAX);
      if (z < SHALLOW && this.anchor.z > 0) return this.reanchor(Math.max(0, absZ - RELAX));
      this.callbacks.moved();
    }

    // -- tiles -------------------------------------------------------------------------------
    setGeometry(geometry) { this.geometry = geometry; }

    setTileQuery(query) {
      if (query === this.tileQuery) return;
      this.tileQuery = query;
      if (this.map.hasLayer(this.layer)) this.layer.redraw();
    }

    absoluteTile(coords) {
      const z = BigInt(coords.z);
      return {
        z: this.anchor.z + coords.z,
        x: (this.anchor.x << z) + BigInt(coords.x),
        y: (this.anchor.y << z) - BigInt(coords.y) - 1n,
      };
    }

    inWindow(tile) {
      const n = 1n << BigInt(tile.z);
      return tile.x >= 0n && tile.y >= 0n && tile.x < n && tile.y < n;
    }

    tileUrl(tile) {
      const extra = this.callbacks.tileExtra ? this.callbacks.tileExtra(tile.z) : "";
      return `/tiles/${tile.z}/${tile.x}/${tile.y}.png?${this.tileQuery}${extra}`;
    }

    async fetchTile(url, signal, priority = "auto") {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(url, { signal, priority });
        if (response.ok) return await response.blob();
        if (response.status === 503 && attempt < RETRIES) {
          const wait = Number(response.headers.get("Retry-After") || "1");
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 1000 * Math.min(Math.max(wait, 0.2), 10));
            signal.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("aborted", "AbortError")); });
          });
          continue;
        }
        let detail = `tile error ${response.status}`;
        try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
        throw new Error(detail);
      }
    }

    onTileError(message, tile) {
      // a tile beyond float64's limit: the zoom stops at the last good level (whose picture
      // the failed tiles keep), with the reason, until the view goes back out
      if (/float64's limit/.test(message)) {
        const z = Math.max(0, Number(tile.z) - 1);
        if (!this.limit || z < this.limit.z) this.setLimit(z);
        return;
      }
      this.callbacks.tileError(message);
    }

    noteFirstPicture(box) {
      const ms = this.stats.firstMs;
      ms.push(performance.now() - box._asked);
      if (ms.length > 200) ms.shift();
    }

    // The key of a tile's picture in the cache: its address and the tile query (not the
    // colours' reference, which follows the zoom).
    tileKey(tile) { return `${tile.z}/${tile.x}/${tile.y}?${this.tileQuery}`; }

    // The nearest ancestor (up to ANCESTOR_LEVELS up) whose picture the page has, and how to
    // place it so that its part over `tile` fills the tile's box.
    ancestorPicture(tile) {
      for (let d = 1; d <= ANCESTOR_LEVELS && d <= tile.z; d++) {
        const k = BigInt(d);
        const up = { z: tile.z - d, x: tile.x >> k, y: tile.y >> k };
        const src = this.cache.get(this.tileKey(up));
        if (!src) continue;
        const mask = (1n << k) - 1n, n = pow2(d);
        const col = Number(tile.x & mask), rowUp = Number(tile.y & mask);
        // y runs upward in tiles and downward on screen
        return { src, levels: d, scale: n, left: -256 * col, top: -256 * (n - 1 - rowUp) };
      }
      return null;
    }

    // Tiles asked for whose full picture is not in yet.
    pending() {
      let n = 0;
      for (const key in this.layer._tiles) if (!this.layer._tiles[key].el._done) n += 1;
      return n;
    }

    // Tiles asked for that show no picture yet, not even a coarse one.
    blank() {
      let n = 0;
      for (const key in this.layer._tiles) {
        const el = this.layer._tiles[key].el;
        if (!el._done && !el._coarse) n += 1;
      }
      return n;
    }

    // -- the float64 limit ------------------------------------------------------------------
    // The deepest absolute zoom at which float64 still resolves the tiles around the view's
    // centre (the server's rule, attndyn.model.tiles.Quadtree.resolves: a pixel at least
    // RESOLVING_ULPS ulps of the tile's largest coordinate, on each axis).
    float64Limit(center = null) {
      const g = this.geometry, c = center || this.toParams(this.map.getCenter());
      const ulp = (v) => (v === 0 ? Number.MIN_VALUE : pow2(Math.floor(Math.log2(Math.abs(v))) - 52));
      for (let z = 1; z <= MAX_ZOOM; z++) {
        const pw = g.tile_width / g.columns / pow2(z), ph = g.tile_height / g.rows / pow2(z);
        const largeX = Math.abs(c.x) + g.tile_width / pow2(z);
        const largeY = Math.abs(c.y) + g.tile_height / pow2(z);
        if (pw < RESOLVING_ULPS * ulp(largeX) || ph < RESOLVING_ULPS * ulp(largeY)) return z - 1;
      }
      return MAX_ZOOM;
    }

    // Stop zooming in at absolute zoom z (the + button, the wheel, the keys, a double click
    // all respect the map's maxZoom), or, with null, at the float64 limit here.
    setLimit(z) {
      this.limit = z === null ? null : { z };
      this.updateMaxZoom();
    }

    // The deepest zoom now: the learnt limit, else float64's here; never under the view's.
    deepest() {
      const computed = this.geometry ? this.float64Limit() : MAX_ZOOM;
      return Math.min(MAX_ZOOM, computed, this.limit ? this.limit.z : MAX_ZOOM);
    }

    updateMaxZoom() {
      if (!this.geometry) return;
      const local = Math.round(this.map.getZoom());
      const max = Math.max(local, Math.min(DEEP + 4, this.deepest() - this.anchor.z));
      if (max !== this.map.getMaxZoom()) this.map.setMaxZoom(max);
      this.callbacks.limit?.(this.atLimit());
    }

    // Whether zooming in is stopped by float64's limit here (not by the frame, which moves).
    atLimit() {
      return this.geometry !== null && this.absoluteZoom() >= this.deepest();
    }

    // The absolute tiles on screen now (for tests and the share-link check).
    visibleTiles() {
      return Object.values(this.layer._tiles).filter((t) => t.current).map((t) => t.el.dataset.url).sort();
    }
  }

  return { DeepMap, coverZoom };
})();
