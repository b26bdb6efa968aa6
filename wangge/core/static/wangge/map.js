/* Grid maps: draws a GeoJSON FeatureCollection of grids with Leaflet.
   No tile server by default (intranets have none): polygons on a plain background. */
(function () {
  "use strict";
  const palette = ["#1d4ed8", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#4b5563"];

  function colourFor(props, by) {
    if (by === "kind") return props.color || "#3b82f6";
    return palette[(props.depth - 1) % palette.length];
  }

  function initGridMap(el) {
    const url = el.dataset.geojson;
    const colourBy = el.dataset.colourBy || "level";
    const map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { subdomains: el.dataset.subdomains || "abc", attribution: el.dataset.attribution || "" }).addTo(map);
    }
    el.wanggeMap = map;
    const layers = {};
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (fc) {
        const maxDepth = Math.max.apply(null, fc.features.map(function (f) { return f.properties.depth; }).concat([0]));
        const layer = L.geoJSON(fc, {
          style: function (f) {
            const leaf = f.properties.depth === maxDepth;
            return { color: colourFor(f.properties, colourBy), weight: leaf ? 1.2 : 3, fillOpacity: leaf ? 0.25 : 0.04 };
          },
          onEachFeature: function (f, l) {
            const p = f.properties;
            // the name on the grid itself, shown at the zoom where it fits (labelsToFit)
            l.bindTooltip(textNode(p.name), { permanent: true, direction: "center", className: "grid-label" });
            l.wanggeName = p.name; l.wanggeDepth = p.depth;
            const popup = document.createElement("div"), link = document.createElement("a"), title = document.createElement("b");
            link.href = p.url; link.textContent = p.name; title.appendChild(link); popup.appendChild(title);
            [p.code, p.level_name + (p.kind_name ? " · " + p.kind_name : ""), p.households + " 户"].forEach(function (line) {
              popup.appendChild(document.createElement("br")); popup.appendChild(document.createTextNode(line));
            });
            l.bindPopup(popup);
            l.on("click", function () { outlineChildren(layer, p.code); });
            layers[p.code] = l;
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
        if (el.dataset.points) {
          fetch(el.dataset.points, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (pts) {
            L.geoJSON(pts, {
              pointToLayer: function (f, latlng) {
                const hazard = f.properties.kind === "hazard";
                return L.circleMarker(latlng, { radius: hazard ? 6 : 3, color: hazard ? "#dc2626" : "#1f2937", weight: 1, fillOpacity: 0.8 });
              },
              onEachFeature: function (f, l) { l.bindTooltip(textNode(f.properties.name + " · " + f.properties.address)); }
            }).addTo(map);
            el.dataset.points_loaded = String(pts.features.length);
          });
        }
        const legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          const div = L.DomUtil.create("div", "legend");
          const seen = {};
          fc.features.forEach(function (f) {
            const key = colourBy === "kind" ? f.properties.kind_name : f.properties.level_name;
            if (key && !seen[key]) { seen[key] = colourFor(f.properties, colourBy); }
          });
          Object.keys(seen).forEach(function (k, n) {
            if (n) div.appendChild(document.createElement("br"));
            const swatch = document.createElement("i");
            swatch.style.background = seen[k];
            div.appendChild(swatch); div.appendChild(document.createTextNode(k));
          });
          return div;
        };
        legend.addTo(map);
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
    document.querySelectorAll("[data-geojson]").forEach(initGridMap);
  });
})();
