/* Grid maps: draws a GeoJSON FeatureCollection of grids with Leaflet, the buildings over them (so that
   a worker finds one without a tile server: intranets have none) and, on a round, the households due.
   With a tile URL configured (天地图, 高德) the tiles show underneath. */
(function () {
  "use strict";
  const palette = ["#1d4ed8", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#4b5563"];
  // a figure's colours, from none to the most (five classes)
  const ramp = ["#f1f5f9", "#fde68a", "#fbbf24", "#f97316", "#dc2626", "#7f1d1d"];
  const BUILDING_LABELS_FROM_ZOOM = 17, MOST_LABELS = 250;

  function classes(max) {
    // upper bounds of the classes 1..5 for counts 1..max (whole numbers, no empty class where max < 5)
    const n = Math.min(5, Math.max(1, max)), bounds = [];
    for (let i = 1; i <= n; i++) bounds.push(Math.ceil(max * i / n));
    return bounds;
  }

  function figureColour(value, bounds) {
    if (!value) return ramp[0];
    for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]) return ramp[i + 1 + (5 - bounds.length)];
    return ramp[5];
  }

  function colourFor(props, by, bounds) {
    if (by === "kind") return props.color || "#3b82f6";
    if (bounds) return figureColour(props.value, bounds);
    return palette[(props.depth - 1) % palette.length];
  }

  function legendRows(fc, colourBy, bounds, el) {
    const rows = [];
    if (bounds) {
      rows.push([null, el.dataset.figureLabel || ""]);
      rows.push([ramp[0], "0"]);
      let low = 1;
      bounds.forEach(function (hi) {
        rows.push([figureColour(hi, bounds), low === hi ? String(hi) : low + "–" + hi]);
        low = hi + 1;
      });
      return rows;
    }
    const seen = {};
    fc.features.forEach(function (f) {
      const key = colourBy === "kind" ? f.properties.kind_name : f.properties.level_name;
      if (key && !seen[key]) { seen[key] = true; rows.push([colourFor(f.properties, colourBy), key]); }
    });
    return rows;
  }

  function initGridMap(el) {
    const colourBy = el.dataset.colourBy || "level";
    const byFigure = colourBy !== "level" && colourBy !== "kind";
    const url = (el.dataset.geojson || "") + (byFigure ? (el.dataset.geojson.indexOf("?") < 0 ? "?" : "&") + "figure=" + encodeURIComponent(colourBy) : "");
    const map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { subdomains: el.dataset.subdomains || "abc", attribution: el.dataset.attribution || "" }).addTo(map);
    }
    el.wanggeMap = map;
    const stops = el.dataset.stops ? JSON.parse(document.getElementById(el.dataset.stops).textContent) : [];
    const grids = url ? fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      : Promise.resolve({ type: "FeatureCollection", features: [] });
    return grids
      .then(function (fc) {
        const maxDepth = Math.max.apply(null, fc.features.map(function (f) { return f.properties.depth; }).concat([0]));
        const bounds = byFigure ? classes(Math.max.apply(null, fc.features.filter(function (f) {
          return f.properties.depth === maxDepth;
        }).map(function (f) { return f.properties.value || 0; }).concat([0]))) : null;
        const layer = L.geoJSON(fc, {
          style: function (f) {
            const leaf = f.properties.depth === maxDepth;
            if (bounds) {
              return leaf ? { color: "#475569", weight: 1, fillColor: colourFor(f.properties, colourBy, bounds), fillOpacity: 0.7 }
                : { color: "#0f172a", weight: 3, fillOpacity: 0 };
            }
            return { color: colourFor(f.properties, colourBy), weight: leaf ? 1.2 : 3, fillOpacity: leaf ? (stops.length ? 0.05 : 0.25) : 0.04 };
          },
          onEachFeature: function (f, l) {
            const p = f.properties;
            const label = p.name + (bounds && p.value !== undefined ? " · " + p.value : "");
            // the name on the grid itself, shown at the zoom where it fits (labelsToFit)
            l.bindTooltip(textNode(label), { permanent: true, direction: "center", className: "grid-label" });
            l.wanggeName = label; l.wanggeDepth = p.depth;
            const popup = document.createElement("div"), link = document.createElement("a"), title = document.createElement("b");
            link.href = p.url; link.textContent = p.name; title.appendChild(link); popup.appendChild(title);
            const lines = [p.code, p.level_name + (p.kind_name ? " · " + p.kind_name : ""), p.households + " 户"];
            if (bounds) lines.push((el.dataset.figureLabel || "") + " " + (p.value || 0));
            lines.forEach(function (line) {
              popup.appendChild(document.createElement("br")); popup.appendChild(document.createTextNode(line));
            });
            l.bindPopup(popup);
            l.on("click", function () { outlineChildren(layer, p.code); });
          }
        }).addTo(map);
        map.on("zoomend moveend", function () { labelsToFit(map, layer); });
        el.dataset.features = String(fc.features.length);
        if (fc.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        else map.setView([27.46, 119.51], 12);
        if (el.dataset.overlay) {
          const extra = JSON.parse(document.getElementById(el.dataset.overlay).textContent);
          ["gaps", "overlaps"].forEach(function (k, i) {
            if (extra[k]) L.geoJSON(extra[k], { style: { color: i ? "#dc2626" : "#f59e0b", weight: 2, fillOpacity: 0.6 } }).addTo(map);
          });
        }
        (el.dataset.points || "").split(" ").filter(Boolean).forEach(function (pointsUrl) {
          fetch(pointsUrl, { credentials: "same-origin" }).then(function (r) {
            if (!r.ok) throw new Error(r.status);
            return r.json();
          }).then(function (pts) {
            drawPoints(map, pts);
            el.dataset.pointsLoaded = String(pts.features.length);
          }).catch(function () { el.dataset.pointsLoaded = "0"; });  // the grids alone, as before
        });
        if (stops.length) drawStops(map, stops);
        const legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          const div = L.DomUtil.create("div", "legend");
          legendRows(fc, colourBy, bounds, el).forEach(function (row, n) {
            if (n) div.appendChild(document.createElement("br"));
            if (row[0]) {
              const swatch = document.createElement("i");
              swatch.style.background = row[0];
              div.appendChild(swatch);
            }
            div.appendChild(document.createTextNode(row[1]));
          });
          return div;
        };
        if (!stops.length) legend.addTo(map);
        labelsToFit(map, layer);
        el.classList.add("map-ready");
        return map;
      })
      .catch(function (err) {
        const p = document.createElement("p");
        p.className = "error"; p.style.padding = "1rem";
        p.textContent = "地图数据加载失败（" + err.message + "）";
        el.replaceChildren(p);
      });
  }

  // Buildings as small squares drawn on one canvas (a town has thousands), named when zoomed in far
  // enough to tell them apart; open hazards in red.
  function drawPoints(map, pts) {
    const canvas = L.canvas({ padding: 0.2 }), names = L.layerGroup().addTo(map), buildings = [];
    L.geoJSON(pts, {
      pointToLayer: function (f, latlng) {
        const kind = f.properties.kind;  // building, hazard (or an overdue case) or case
        if (kind === "building") buildings.push([latlng, f.properties.name]);
        const colour = { hazard: "#dc2626", "case": "#1d4ed8" }[kind];
        return L.circleMarker(latlng, { renderer: canvas, radius: colour ? 5 : 4, color: colour || "#334155",
          fillColor: colour || "#cbd5e1", weight: 1, fillOpacity: 0.9 });
      },
      onEachFeature: function (f, l) { l.bindTooltip(textNode(f.properties.name + " · " + f.properties.address)); }
    }).addTo(map);
    function nameBuildings() {
      names.clearLayers();
      if (map.getZoom() < BUILDING_LABELS_FROM_ZOOM) return;
      const view = map.getBounds();
      buildings.filter(function (b) { return view.contains(b[0]); }).slice(0, MOST_LABELS).forEach(function (b) {
        names.addLayer(L.tooltip({ permanent: true, direction: "right", offset: [4, 0], className: "building-label" })
          .setLatLng(b[0]).setContent(textNode(b[1])));
      });
    }
    map.on("zoomend moveend", nameBuildings);
    nameBuildings();
  }

  // A round's stops: the households due, labelled by room, red when late. Households of one building share
  // its point: one marker says how many, its popup lists each with a link to its visit form.
  function drawStops(map, stops) {
    const at = {};
    stops.forEach(function (p) { (at[p.lat + "," + p.lon] = at[p.lat + "," + p.lon] || []).push(p); });
    const group = L.featureGroup(Object.keys(at).map(function (key) {
      const here = at[key], late = here.some(function (p) { return p.late; });
      const marker = L.circleMarker([here[0].lat, here[0].lon], { radius: 7, weight: 2, color: late ? "#dc2626" : "#1d4ed8", fillOpacity: 0.6 });
      const label = here.length === 1 ? here[0].short || here[0].label : (here[0].building ? here[0].building + " · " : "") + here.length + " 户";
      marker.bindTooltip(textNode(label), { permanent: true, direction: "top", className: "stop-label" + (late ? " late" : "") });
      const list = document.createElement("div");
      here.forEach(function (p, n) {
        if (n) list.appendChild(document.createElement("br"));
        const a = document.createElement("a"); a.href = p.url; a.textContent = p.label;
        if (p.late) a.className = "late";
        list.appendChild(a);
      });
      return marker.bindPopup(list);
    })).addTo(map);
    map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 18 });
  }

  // A grid's name shows when the grid is wide enough on screen for it (and, of nested grids, the
  // deepest ones that fit), so that a zoomed-out town is not a blur of names.
  function labelsToFit(map, layer) {
    const fits = [];
    layer.eachLayer(function (l) {
      const b = l.getBounds(), nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
      const wide = Math.abs(se.x - nw.x), tall = Math.abs(se.y - nw.y);
      fits.push([l, wide > l.wanggeName.length * 14 + 8 && tall > 22]);
    });
    const deepest = Math.max.apply(null, fits.filter(function (x) { return x[1]; }).map(function (x) { return x[0].wanggeDepth; }).concat([0]));
    fits.forEach(function (x) {
      const show = x[1] && x[0].wanggeDepth === deepest;
      const tip = x[0].getTooltip();
      if (tip) tip.getElement && tip.getElement() && (tip.getElement().style.display = show ? "" : "none");
    });
  }

  // Clicking a grid outlines the grids inside it.
  function outlineChildren(layer, code) {
    layer.eachLayer(function (l) {
      layer.resetStyle(l);
      if (l.feature.properties.parent_code === code) l.setStyle({ dashArray: "4 3", weight: 2.5 });
    });
  }

  // Names people typed reach the map as text, never as HTML (Leaflet renders a string as HTML).
  function textNode(s) { const span = document.createElement("span"); span.textContent = s; return span; }

  window.initGridMap = initGridMap;
  document.addEventListener("DOMContentLoaded", function () {
    // a map in a closed <details> is drawn when it opens (Leaflet needs its size): data-lazy
    document.querySelectorAll("[data-geojson]:not([data-lazy])").forEach(initGridMap);
  });
})();
