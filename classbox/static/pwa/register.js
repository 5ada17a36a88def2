/* Registers the classbox service worker (root scope) and lets pages keep an activity's files.
 * window.ClassboxPWA.ready: a Promise of the registration (null where service workers are
 * unavailable: old browsers, or plain http:// on a name other than localhost).
 * window.ClassboxPWA.cacheActivity(urls): keep these box URLs on the device for offline use.
 * window._(french, params): the page's text in its language, from the dictionary the server
 * renders into <script id="classbox-i18n" type="application/json"> (French when absent);
 * params fill "%(name)s" placeholders. Loaded first (not deferred) so every script can use it. */
(function () {
  "use strict";
  var dictionary = null;
  window._ = function (text, params) {
    if (dictionary === null) {
      var node = document.getElementById("classbox-i18n");
      try { dictionary = node ? JSON.parse(node.textContent) : {}; } catch (e) { dictionary = {}; }
    }
    var out = Object.prototype.hasOwnProperty.call(dictionary, text) ? dictionary[text] : text;
    return params ? out.replace(/%\((\w+)\)s/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : all;
    }) : out;
  };
})();

(function () {
  "use strict";
  var supported = "serviceWorker" in navigator && window.isSecureContext !== false;
  var ready = null;
  if (supported) {
    ready = navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .catch(function () { return null; });
  }

  function cacheActivity(urls) {
    if (!ready) { return Promise.resolve({ cached: 0 }); }
    return ready.then(function (registration) {
      var worker = registration && registration.active;
      if (!worker) { return { cached: 0 }; }
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        worker.postMessage({ type: "cache-activity", urls: urls || [] }, [channel.port2]);
      });
    });
  }

  window.ClassboxPWA = { supported: supported, ready: ready, cacheActivity: cacheActivity };
})();
