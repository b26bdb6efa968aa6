/* The round's map, drawn when it is opened: the grid's outline, its buildings and the households due,
   labelled by room, red when late; a tap opens the visit form. Works without tiles (map.js). */
(function () {
  "use strict";
  const el = document.getElementById("round-map");
  if (!el || !window.L || !window.initGridMap) return;
  let drawn = false;
  el.closest("details").addEventListener("toggle", function () {
    if (drawn) return;
    drawn = true;
    window.initGridMap(el);
  });
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
