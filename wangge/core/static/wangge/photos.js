/* Photos shrunk on the phone before upload (a cheap phone's 12 MP photo is 4 MB; at 1600 px it is ~300 KB):
   every <input type=file data-resize data-max=N> under root gets its files replaced by JPEG copies. */
window.WanggePhotos = (function () {
  "use strict";
  function shrink(f) {
    if (!/^image\/(jpeg|png|webp)$/.test(f.type) || !window.createImageBitmap) return Promise.resolve(f);
    return createImageBitmap(f).then(function (img) {
      const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      const c = document.createElement("canvas");
      c.width = Math.round(img.width * scale); c.height = Math.round(img.height * scale);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(function (b) {
        ok(new File([b], f.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" })); }, "image/jpeg", 0.85); });
    }).catch(function () { return f; });
  }
  function shrinkInputs(root) {
    root.querySelectorAll("input[type=file][data-resize]").forEach(function (input) {
      input.addEventListener("change", function () {
        delete input.dataset.ready;  // set again once the chosen photos are shrunk
        const max = parseInt(input.dataset.max || "9", 10);
        const files = Array.prototype.slice.call(input.files, 0, max);
        if (!window.DataTransfer) { input.dataset.ready = "1"; return; }  // sent as chosen
        Promise.all(files.map(shrink)).then(function (out) {
          const dt = new DataTransfer(); out.forEach(function (f) { dt.items.add(f); });
          input.files = dt.files;
          const note = document.getElementById(input.id + "-note");
          if (note) note.textContent = out.length + " / " + max;
          input.dataset.ready = "1";
        });
      });
    });
  }
  return { shrink: shrink, shrinkInputs: shrinkInputs };
})();
