/* The case page's maps: where the case is, and the map to place a case that has no point. */
(function () { var el = document.getElementById("case-map"); if (!el || !window.L) return;
var p = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)]; var m = L.map(el).setView(p, 16);
if (el.dataset.tiles) L.tileLayer(el.dataset.tiles).addTo(m); L.marker(p).addTo(m);
fetch(el.dataset.geojson).then(function (r) { return r.json(); }).then(function (fc) {
  L.geoJSON(fc, { style: function (f) { return { color: f.properties.here ? "#dc2626" : "#1d4ed8",
    weight: f.properties.here ? 3 : 1, fillOpacity: 0.04 }; } }).addTo(m); }); })();
(function () { var el = document.getElementById("place-map"); if (!el || !window.L) return;
var f = document.getElementById("place-form"), m = L.map(el), mk = null;
fetch(el.dataset.geojson).then(function (r) { return r.json(); }).then(function (fc) {
  var l = L.geoJSON(fc, { style: { weight: 1, fillOpacity: 0.05 } }).addTo(m); if (fc.features.length) m.fitBounds(l.getBounds()); });
m.on("click", function (e) { f.lon.value = e.latlng.lng.toFixed(6); f.lat.value = e.latlng.lat.toFixed(6);
  if (mk) mk.setLatLng(e.latlng); else mk = L.marker(e.latlng).addTo(m); }); })();
