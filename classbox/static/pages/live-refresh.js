/* Keeps a page's <main> up to date without reloading it (unlike <meta http-equiv="refresh">,
 * which moves screen-reader users back to the top: WCAG 2.2.1, RGAA 13.1). Usage:
 * <script src=".../pages/live-refresh.js" data-every="30" defer></script> */
(function () {
  "use strict";
  var script = document.currentScript;
  var every = Math.max(5, Number(script && script.getAttribute("data-every")) || 30) * 1000;
  function refresh() {
    fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("contenu");
        var main = document.getElementById("contenu");
        if (fresh && main && fresh.innerHTML !== main.innerHTML) { main.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* the box is out of reach: keep what is shown */ });
  }
  setInterval(refresh, every);
})();
