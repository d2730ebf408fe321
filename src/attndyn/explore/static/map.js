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
  const DEEP = 16, SHALLOW = 3, RELAX = 8, MAX_ZOOM = 62, RETRIES = 30;

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

  // A GridLayer whose tiles are fetched (so they can be aborted) and whose 503s are retried.
  const FetchLayer = L.GridLayer.extend({
    initialize(owner, options) {
      this.owner = owner;
      L.GridLayer.prototype.initialize.call(this, options);
      this.on("tileunload", (e) => {
        if (e.tile._abort && !e.tile._done) { e.tile._abort.abort(); owner.stats.aborted += 1; }
      });
    },
    createTile(coords, done) {
      const tile = this.owner.absoluteTile(coords);
      if (!this.owner.inWindow(tile)) {  // outside the spec's window: nothing to draw
        const blank = document.createElement("div");
        blank._done = true;
        setTimeout(() => done(null, blank), 0);
        return blank;
      }
      const img = document.createElement("img");
      img.alt = "";
      const controller = new AbortController();
      img._abort = controller;
      const url = this.owner.tileUrl(tile);
      img.dataset.url = url;
      this.owner.stats.requested += 1;
      this.owner.fetchTile(url, controller.signal).then((blob) => {
        const src = URL.createObjectURL(blob);
        img.onload = () => { URL.revokeObjectURL(src); img._done = true; this.owner.stats.loaded += 1; done(null, img); };
        img.onerror = () => { img._done = true; done(new Error("bad image"), img); };
        img.src = src;
      }).catch((error) => {
        img._done = true;
        if (error.name === "AbortError") return;
        this.owner.stats.failed += 1;
        this.owner.onTileError(error.message);
        done(error, img);
      });
      return img;
    },
  });

  class DeepMap {
    constructor(element, callbacks) {
      this.callbacks = callbacks;  // {moved(), tileError(message)}
      this.anchor = { z: 0, x: 0n, y: 0n };
      this.geometry = null;  // {x_origin, y_origin, tile_width, tile_height, columns, rows}
      this.tileQuery = "";
      this.stats = { requested: 0, loaded: 0, aborted: 0, failed: 0 };
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
      zoom = Math.max(0, Math.min(MAX_ZOOM, zoom));
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

    async fetchTile(url, signal) {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(url, { signal });
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

    onTileError(message) { this.callbacks.tileError(message); }

    pending() {
      let n = 0;
      for (const key in this.layer._tiles) if (!this.layer._tiles[key].el._done) n += 1;
      return n;
    }

    // The absolute tiles on screen now (for tests and the share-link check).
    visibleTiles() {
      return Object.values(this.layer._tiles).filter((t) => t.current).map((t) => t.el.dataset.url).sort();
    }
  }

  return { DeepMap, coverZoom };
})();
