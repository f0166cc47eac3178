// The archived digest is shown in a sandboxed frame (no script runs inside it); this sizes the
// frame to the digest's height so the page scrolls as one, without a second scrollbar inside.
(function () {
  "use strict";
  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement) { return; }
    frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("iframe.digest").forEach(function (frame) {
      frame.addEventListener("load", function () { fit(frame); });
      window.addEventListener("resize", function () { fit(frame); });
      fit(frame);
    });
  });
})();
