// Countdown to an alert's reporting deadline: every <span class="countdown" data-left="seconds">.
// The server renders the seconds left by its own clock; this only counts down from page load.
(function () {
  "use strict";
  var loaded = Date.now();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var elapsed = Math.floor((Date.now() - loaded) / 1000);
    document.querySelectorAll(".countdown[data-left]").forEach(function (el) {
      var start = parseInt(el.getAttribute("data-left"), 10);
      if (isNaN(start)) { return; }
      var left = start - elapsed;
      var abs = Math.abs(left);
      var text = Math.floor(abs / 3600) + ":" + pad(Math.floor(abs % 3600 / 60)) + ":" + pad(abs % 60);
      el.textContent = left >= 0 ? "剩余 " + text : "已超时 " + text;
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 900);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
