/* Registers the classbox service worker (root scope) and lets pages keep an activity's files
 * (an ES module, loaded by every page):
 *   pwa.ready: a Promise of the registration (null where service workers are unavailable: old
 *     browsers, or plain http:// on a name other than localhost)
 *   pwa.cacheActivity(urls): keep these box URLs on the device for offline use */
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

export var pwa = { supported: supported, ready: ready, cacheActivity: cacheActivity };
window.ClassboxPWA = pwa;  /* for the console and the tests */
