/* The phone reporting page: pin the place (GPS or a tap on the map), pick a category by searching,
   resize photos on the phone before upload, and show open cases nearby. Works without tiles. */
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const lon = form.querySelector("[name=lon]"), lat = form.querySelector("[name=lat]");
  const where = document.getElementById("where");
  const el = document.getElementById("report-map");
  let map = null, marker = null;

  function nearby() {
    const box = document.getElementById("nearby");
    if (!box || !lon.value) return;
    const q = new URLSearchParams({ lon: lon.value, lat: lat.value,
      category: form.querySelector("[name=category]").value,
      description: form.querySelector("[name=description]").value });
    fetch(box.dataset.url + "?" + q).then(function (r) { return r.text(); }).then(function (t) { box.innerHTML = t; });
  }

  function place(lng, la, how) {
    lon.value = lng.toFixed(6); lat.value = la.toFixed(6);
    where.textContent = how + "：" + lon.value + ", " + lat.value + "（WGS-84）";
    if (map) {
      if (!marker) marker = L.marker([la, lng], { draggable: true }).addTo(map)
        .on("dragend", function (e) { const p = e.target.getLatLng(); place(p.lng, p.lat, where.dataset.pinned); });
      else marker.setLatLng([la, lng]);
    }
    nearby();
  }

  if (el && window.L) {
    map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { subdomains: el.dataset.subdomains || "abc" }).addTo(map);
    fetch(el.dataset.geojson).then(function (r) { return r.json(); }).then(function (fc) {
      const layer = L.geoJSON(fc, { style: function (f) { return { color: f.properties.here ? "#dc2626" : "#1d4ed8",
        weight: f.properties.here ? 3 : 1, fillOpacity: 0.06 }; },
        onEachFeature: function (f, l) { const t = document.createElement("span"); t.textContent = f.properties.name; l.bindTooltip(t); } }).addTo(map);
      const here = fc.features.filter(function (f) { return f.properties.here; });
      if (here.length) map.fitBounds(L.geoJSON(here[0]).getBounds(), { padding: [10, 10] });
      else if (fc.features.length) map.fitBounds(layer.getBounds());
      else map.setView([27.46, 119.51], 12);
      if (lon.value && lat.value) place(parseFloat(lon.value), parseFloat(lat.value), where.dataset.pinned);
    });
    map.on("click", function (e) { place(e.latlng.lng, e.latlng.lat, where.dataset.pinned); });
  }

  const gps = document.getElementById("gps");
  if (gps) gps.addEventListener("click", function () {
    if (!navigator.geolocation) { where.textContent = gps.dataset.unavailable; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.longitude, p.coords.latitude, gps.dataset.located);
      if (map) map.setView([p.coords.latitude, p.coords.longitude], 16);
    }, function () { where.textContent = gps.dataset.unavailable; }, { enableHighAccuracy: true, timeout: 10000 });
  });

  const search = document.getElementById("category-search"), select = form.querySelector("[name=category]");
  if (search) search.addEventListener("input", function () {
    const q = search.value.trim();
    let first = null;
    select.querySelectorAll("option").forEach(function (o) {
      const hit = !q || o.textContent.indexOf(q) >= 0 || (o.parentNode.label || "").indexOf(q) >= 0;
      o.hidden = !hit && o.value !== "";
      if (hit && o.value && !first) first = o;
    });
    if (q && first) { select.value = first.value; select.dispatchEvent(new Event("change")); }
  });
  select.addEventListener("change", function () {
    const box = document.getElementById("questions");
    fetch(box.dataset.url + "?category=" + encodeURIComponent(select.value))
      .then(function (r) { return r.text(); }).then(function (t) { box.innerHTML = t; });
    nearby();
  });

  // Photos: shrunk on the phone before upload (wangge/photos.js).
  if (window.WanggePhotos) WanggePhotos.shrinkInputs(form);
})();
