/* 应急排查: the area drawn on the map (click the corners of a polygon, or the centre of a circle), the
   chosen way shown, and after a search the area, its people (red) and its dangerous houses (black).
   Works without tiles: the user's grids are the background. */
(function () {
  "use strict";
  const form = document.getElementById("area-form"), el = document.getElementById("area-map");
  if (!form || !el || !window.L) return;
  const polygonInput = form.querySelector("input[name=polygon]");
  const lonInput = document.getElementById("id_lon"), latInput = document.getElementById("id_lat");
  const radiusInput = document.getElementById("id_radius_m");
  const map = L.map(el, { attributionControl: !!el.dataset.tiles }).setView([27.46, 119.51], 13);
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles).addTo(map);
  const drawn = L.layerGroup().addTo(map);
  let corners = [];

  function mode() { return (form.querySelector("input[name=mode]:checked") || {}).value || "polygon"; }

  function showMode() {
    form.querySelectorAll("[data-mode]").forEach(function (box) { box.hidden = box.dataset.mode !== mode(); });
  }

  function redraw() {
    drawn.clearLayers();
    if (mode() === "polygon" && corners.length) {
      corners.forEach(function (c) { L.circleMarker(c, { radius: 4, color: "#dc2626" }).addTo(drawn); });
      if (corners.length > 2) L.polygon(corners, { color: "#dc2626", weight: 2, fillOpacity: 0.1 }).addTo(drawn);
      else L.polyline(corners, { color: "#dc2626" }).addTo(drawn);
    }
    if (mode() === "radius" && lonInput.value && latInput.value) {
      L.circle([+latInput.value, +lonInput.value], { radius: +radiusInput.value || 0, color: "#dc2626", weight: 2, fillOpacity: 0.1 }).addTo(drawn);
    }
    polygonInput.value = corners.length > 2 ? JSON.stringify({
      type: "Polygon",
      coordinates: [corners.concat([corners[0]]).map(function (c) { return [c.lng, c.lat]; })]
    }) : "";
  }

  map.on("click", function (e) {
    if (mode() === "polygon") corners.push(e.latlng);
    if (mode() === "radius") { lonInput.value = e.latlng.lng.toFixed(6); latInput.value = e.latlng.lat.toFixed(6); }
    redraw();
  });
  form.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", function () { showMode(); redraw(); }); });
  [lonInput, latInput, radiusInput].forEach(function (i) { i.addEventListener("input", redraw); });
  document.getElementById("area-clear").addEventListener("click", function () { corners = []; redraw(); });
  showMode();

  // the user's grids as the background, named where they fit (map.js is not needed: one layer)
  if (el.dataset.geojson) {
    fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (fc) {
      if (!fc || !fc.features.length) return;
      const grids = L.geoJSON(fc, { style: { color: "#64748b", weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
      if (!document.getElementById("area-found")) map.fitBounds(grids.getBounds(), { padding: [10, 10] });
    });
  }

  // after a search: the area searched, the people in it and the dangerous houses
  const data = document.getElementById("area-found");
  if (data) {
    const found = JSON.parse(data.textContent);
    const area = L.geoJSON(found.area, { style: { color: "#dc2626", weight: 2, fillOpacity: 0.08 }, interactive: false }).addTo(map);
    found.people.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 5, color: "#dc2626", fillOpacity: 0.8 }).bindTooltip(text(p.name)).addTo(map);
    });
    found.houses.forEach(function (h) {
      L.circleMarker([h.lat, h.lon], { radius: 5, color: "#111827", fillOpacity: 0.8 }).bindTooltip(text(h.name)).addTo(map);
    });
    map.fitBounds(area.getBounds(), { padding: [20, 20] });
    if (polygonInput.value) {
      corners = JSON.parse(polygonInput.value).coordinates[0].slice(0, -1).map(function (c) { return L.latLng(c[1], c[0]); });
      redraw();
    }
  }
  el.classList.add("map-ready");

  function text(s) { const span = document.createElement("span"); span.textContent = s; return span; }
})();
