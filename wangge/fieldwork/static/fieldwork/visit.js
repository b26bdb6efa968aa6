/* The visit form: locate the worker (WGS-84), shrink photos, and send the visit — or keep it on the phone
   when there is no connection (offline.js), so that nothing typed is lost. */
(function () {
  "use strict";
  const form = document.getElementById("visit-form");
  if (!form) return;
  const status = document.getElementById("visit-status"), errors = document.getElementById("visit-errors");
  const gps = document.getElementById("gps-status");
  if (window.WanggePhotos) WanggePhotos.shrinkInputs(form);
  // A fresh id for each visit filled in: this page may come from the offline cache, opened twice.
  const cid = form.querySelector("[name=client_id]");
  if (!errors || errors.hidden) {
    cid.value = window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  if (navigator.geolocation && gps) {
    gps.textContent = gps.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (p) {
      form.querySelector("[name=lon]").value = p.coords.longitude.toFixed(6);
      form.querySelector("[name=lat]").value = p.coords.latitude.toFixed(6);
      gps.textContent = gps.dataset.ok;
    }, function () { gps.textContent = gps.dataset.none; }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  }

  function showErrors(errs) {
    const ul = document.createElement("ul");
    Object.keys(errs).forEach(function (k) { [].concat(errs[k]).forEach(function (m) {
      const li = document.createElement("li"); li.textContent = m; ul.appendChild(li); }); });
    errors.innerHTML = ""; errors.appendChild(ul); errors.hidden = false; errors.scrollIntoView();
  }

  function kept() {
    status.textContent = status.dataset.queued;
    form.querySelector("#visit-submit").disabled = true;
    setTimeout(function () { window.location.href = form.dataset.round; }, 1500);
  }

  form.addEventListener("submit", function (e) {
    if (!window.fetch || !window.indexedDB) return;  // an old browser posts the plain form
    e.preventDefault();
    // The moment of the visit is when the worker pressed the button, not when a late connection sent it.
    const at = form.querySelector("[name=visited_at]");
    if (!at.value) at.value = new Date().toISOString();
    status.textContent = status.dataset.sending;
    const url = form.getAttribute("action") || window.location.pathname;
    if (!navigator.onLine) { WanggeOutbox.keep(url, form).then(kept); return; }
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (r.ok) { status.textContent = status.dataset.sent; window.location.href = form.dataset.round; }
          else { status.textContent = ""; showErrors(body.errors || {}); }
        });
      })
      .catch(function () { WanggeOutbox.keep(url, form).then(kept); });
  });
})();
