/* A module's service worker (field work's round and visits, an emergency's checklist): the pages under its
   scope (and the scripts) from the network when there is one, from the cache when there is not, so a
   worker can open today's round or the checklist in a basement. Posts are not touched: offline.js keeps
   unsent forms in IndexedDB. */
const SCOPE = new URL(self.registration.scope).pathname;
const CACHE = "wangge-offline-v1" + SCOPE;

self.addEventListener("install", function (e) { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (e) {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const page = url.pathname.startsWith(SCOPE) && url.pathname.indexOf("/photos/") < 0;
  const asset = url.pathname.startsWith("/static/");
  if (!page && !asset) return;
  e.respondWith(
    fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        const copy = res.clone();
        caches.open(CACHE).then(function (c) { c.put(req, copy); });
      }
      return res;
    }).catch(function () {
      // ignoreVary: Django varies on Cookie and Accept-Language, which a page's fetch and a later
      // navigation do not send alike.
      return caches.match(req, { ignoreSearch: asset, ignoreVary: true }).then(function (hit) {
        return hit || new Response("<h1>没有网络</h1><p>此页尚未缓存，请联网后再打开。</p>",
          { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    })
  );
});
