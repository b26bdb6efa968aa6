/* Behaviour the pages ask for with data attributes, so that no page needs an inline script or handler
   (the Content-Security-Policy allows scripts from our own files only). */
(function () {
  "use strict";
  // A phone that retries the same form must not register twice: give the form one client id.
  document.querySelectorAll("input[name=client_id]").forEach(function (el) {
    if (!el.value) el.value = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  });
  document.addEventListener("click", function (e) {
    const confirmer = e.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.dataset.confirm)) { e.preventDefault(); return; }
    if (e.target.closest("[data-print]")) window.print();
    const toggle = e.target.closest("[data-toggle-arrow]");
    if (toggle) toggle.textContent = toggle.textContent === "▸" ? "▾" : "▸";
  });
  // On a phone every table becomes cards: each cell labelled with its column's heading (site.css).
  function asCards(root) {
    root.querySelectorAll("table:not(.keep-table)").forEach(function (table) {
      const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
      table.classList.add("cards");
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.from(tr.children).forEach(function (td, i) {
          if (heads[i] && !td.hasAttribute("data-label") && td.tagName === "TD") td.setAttribute("data-label", heads[i]);
        });
      });
    });
  }
  asCards(document);
  document.body.addEventListener("htmx:afterSwap", function (e) { asCards(e.target); });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
  });
})();
