/* Forms kept on the phone while there is no connection (a visit, an emergency check): an IndexedDB queue,
   sent when the connection returns (the "online" event, page load, every 30 s). Each carries its client
   id, so one sent twice (the answer lost on a bad line) is stored once by the server. The service worker
   (sw.js), registered for the scope the script tag names (data-sw, data-scope), keeps the module's pages
   available offline. */
window.WanggeOutbox = (function () {
  "use strict";
  const script = document.currentScript;
  const DB = "wangge-outbox", STORE = "visits";

  function db() {
    return new Promise(function (ok, fail) {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "client_id" }); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
  }
  function run(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        const t = d.transaction(STORE, mode), req = fn(t.objectStore(STORE));
        t.oncomplete = function () { ok(req ? req.result : undefined); };
        t.onerror = function () { fail(t.error); };
      });
    });
  }
  function put(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function all() { return run("readonly", function (s) { return s.getAll(); }); }
  function remove(id) { return run("readwrite", function (s) { return s.delete(id); }); }

  function csrf() {
    // the token of now: logging in again (the session ran out while offline) rotates it
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : (field ? field.value : "");
  }

  function send(item) {
    const body = new FormData();
    item.fields.forEach(function (kv) { if (kv[0] !== "csrfmiddlewaretoken") body.append(kv[0], kv[1]); });
    item.files.forEach(function (f) { body.append("photos", f.blob, f.name); });
    return fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() } });
  }

  /* Keep a visit (fields as [name, value] pairs, photos as blobs) until it is sent. */
  function keep(url, form, title) {
    const fields = [], files = [];
    new FormData(form).forEach(function (v, k) {
      if (v instanceof File) { if (v.size) files.push({ name: v.name, blob: v }); } else fields.push([k, v]);
    });
    const id = form.querySelector("[name=client_id]").value;
    return put({ client_id: id, url: url, fields: fields, files: files, title: title || document.title,
      kept: new Date().toISOString() });
  }

  let flushing = null, loginNeeded = false;
  /* Send what is kept, one by one. Stored (200) or refused for good (4xx, with the reason kept for the
     worker to see): out of the queue; no answer: stays for the next try. */
  function flush() {
    if (flushing) return flushing;
    loginNeeded = false;
    flushing = all().then(function (items) {
      return items.filter(function (i) { return !i.refused; }).reduce(function (p, item) {
        return p.then(function () {
          return send(item).then(function (r) {
            const json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
            // Only the server's JSON answer counts: a login page (the session ran out) or a CSRF failure
            // page leaves the visit in the queue for the next try.
            if (!json || r.redirected) { loginNeeded = r.redirected || r.status === 403; return; }
            if (r.ok) return remove(item.client_id);
            if (r.status >= 400 && r.status < 500) {
              return r.json().then(function (b) {
                item.refused = b.errors || { "__all__": [String(r.status)] };
                return put(item);
              });
            }
          }).catch(function () { /* still offline */ });
        });
      }, Promise.resolve());
    }).finally(function () { flushing = null; show(); });
    return flushing;
  }

  function show() {
    const box = document.getElementById("outbox-status");
    if (!box) return Promise.resolve();
    return all().then(function (items) {
      box.hidden = !items.length;
      box.innerHTML = "";
      const waiting = items.filter(function (i) { return !i.refused; }).length;
      // the page says in its language what is kept: "%s 条走访保存在手机上，联网后自动发送。"
      if (waiting) box.appendChild(document.createTextNode((box.dataset.waiting || "%s").replace("%s", waiting)
        + (loginNeeded ? " " + (box.dataset.login || "") : "")));
      items.filter(function (i) { return i.refused; }).forEach(function (i) {
        const p = document.createElement("p"), b = document.createElement("button");
        const why = Object.values(i.refused).map(function (m) { return [].concat(m).join("；"); }).join("；");
        p.className = "error"; p.textContent = i.title + (box.dataset.refused || "：") + why;
        b.className = "btn secondary"; b.type = "button"; b.textContent = box.dataset.remove || "×";
        b.addEventListener("click", function () { remove(i.client_id).then(show); });
        p.appendChild(b); box.appendChild(p);
      });
    }).catch(function () {});
  }

  if ("serviceWorker" in navigator && script && script.dataset.sw) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: script.dataset.scope }).catch(function () {});
  }
  window.addEventListener("online", flush);
  window.addEventListener("load", function () { show(); if (navigator.onLine) flush(); });
  setInterval(function () { if (navigator.onLine) flush(); }, 30000);

  return { keep: keep, flush: flush, all: all, show: show };
})();
