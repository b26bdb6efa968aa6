/* A signature drawn with a finger on the phone: the canvas goes to the server as a PNG data URL. */
(function () {
  "use strict";
  const pad = document.getElementById("sign-pad"), form = document.getElementById("sign-form");
  if (!pad || !form) return;
  const ctx = pad.getContext("2d");
  let drawing = false, drawn = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function at(e) { const r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  pad.addEventListener("pointerdown", function (e) { drawing = true; const p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
  pad.addEventListener("pointermove", function (e) { if (!drawing) return; const p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
  ["pointerup", "pointerleave"].forEach(function (t) { pad.addEventListener(t, function () { drawing = false; }); });
  document.getElementById("sign-clear").addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; });
  form.addEventListener("submit", function () { if (drawn) form.querySelector("[name=drawn]").value = pad.toDataURL("image/png"); });
})();
