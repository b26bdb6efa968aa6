/* The round's map: the households due, red when late; a tap opens the visit form. Works without tiles. */
(function () {
  "use strict";
  const el = document.getElementById("round-map"), data = document.getElementById("round-points");
  if (!el || !data || !window.L) return;
  const points = JSON.parse(data.textContent);
  let map = null;
  function draw() {
    if (map) return;
    map = L.map(el, { attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles).addTo(map);
    const layer = L.featureGroup(points.map(function (p) {
      return L.circleMarker([p.lat, p.lon], { radius: 7, color: p.late ? "#dc2626" : "#1d4ed8" })
        .bindPopup(function () { const a = document.createElement("a"); a.href = p.url; a.textContent = p.label; return a; }());
    })).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 });
  }
  el.closest("details").addEventListener("toggle", draw);
})();

/* While online, fetch the visit form of each stop once, and the scripts and styles it uses, so that the
   service worker has them for later when the connection drops in the middle of the round. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !navigator.onLine) return;
  const seen = {};
  function get(url) {
    if (seen[url]) return Promise.resolve("");
    seen[url] = true;
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).catch(function () { return ""; });
  }
  navigator.serviceWorker.ready.then(function () {
    const links = Array.prototype.slice.call(document.querySelectorAll(".stops a[href*='/visit/']"), 0, 80);
    links.reduce(function (p, a) {
      return p.then(function () { return get(a.href); }).then(function (html) {
        const assets = html.match(/(?:src|href)="(\/static\/[^"]+)"/g) || [];
        return Promise.all(assets.map(function (m) { return get(m.replace(/^(?:src|href)="|"$/g, "")); }));
      });
    }, Promise.resolve());
  });
})();
