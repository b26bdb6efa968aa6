/* An operation's checklist on the phone: each line's update is sent at once, or kept on the phone when
   there is no connection (wangge/offline.js) and sent when it returns; the line shows the new state
   either way. The area is drawn on the map. */
(function () {
  "use strict";
  const areaEl = document.getElementById("operation-area"), mapEl = document.getElementById("operation-map");
  if (areaEl && mapEl && window.L) {
    const map = L.map(mapEl, { attributionControl: !!mapEl.dataset.tiles });
    if (mapEl.dataset.tiles) L.tileLayer(mapEl.dataset.tiles).addTo(map);
    const area = L.geoJSON(JSON.parse(areaEl.textContent), { style: { color: "#dc2626", weight: 2, fillOpacity: 0.08 } }).addTo(map);
    map.fitBounds(area.getBounds());
  }

  function newId() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function shown(form, text) {
    const line = form.closest("li"), select = form.querySelector("[name=state]");
    const tag = line.querySelector("[data-role=state]");
    tag.textContent = select.options[select.selectedIndex].text;
    tag.className = "tag state-" + select.value;
    line.dataset.state = select.value;
    form.querySelector("[data-role=status]").textContent = text;
  }

  document.querySelectorAll("form.check-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.fetch || !window.indexedDB) return;  // an old browser posts the plain form
      e.preventDefault();
      // one id per press, the moment of the press as the update's time (not when a late line sent it)
      form.querySelector("[name=client_id]").value = newId();
      form.querySelector("[name=noted_at]").value = new Date().toISOString();
      const url = form.getAttribute("action"), status = document.getElementById("outbox-status");
      const who = (form.closest("li").querySelector("strong") || {}).textContent || document.title;
      const kept = function () {
        shown(form, (status && status.dataset.kept) || "…");
        return WanggeOutbox.show();
      };
      if (!navigator.onLine) { WanggeOutbox.keep(url, form, who).then(kept); return; }
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" } })
        .then(function (r) {
          const json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (!json || r.redirected) return WanggeOutbox.keep(url, form, who).then(kept);
          return r.json().then(function (body) {
            if (r.ok) { shown(form, "✓"); return; }
            const why = Object.values(body.errors || {}).map(function (m) { return [].concat(m).join("；"); });
            form.querySelector("[data-role=status]").textContent = why.join("；");
            form.querySelector("[data-role=status]").className = "error";
          });
        })
        .catch(function () { WanggeOutbox.keep(url, form, who).then(kept); });
    });
  });
})();
