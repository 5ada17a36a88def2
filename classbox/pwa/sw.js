/* classbox service worker: keeps the pupil shell and the current activity's files on the
 * device, so a pupil whose Wi-Fi drops keeps a working page. Settings (version, shell, pupil
 * pages) are prepended by the server as self.CLASSBOX_SW. Nothing here talks to any host but
 * the box: every request it handles is same-origin. */
"use strict";

var SETTINGS = self.CLASSBOX_SW;
var SHELL = "classbox-shell-" + SETTINGS.version;
var PAGES = "classbox-pages";
var ACTIVITY = "classbox-activity";
var MAX_PAGES = 40;
var MAX_ASSET_BYTES = 8 * 1024 * 1024;
var PUPIL_PAGES = SETTINGS.pupilPages.map(function (src) { return new RegExp(src); });

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(SETTINGS.shell); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("classbox-shell-") === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isPupilPage(path) {
  return PUPIL_PAGES.some(function (re) { return re.test(path); });
}

function trimPages(cache) {
  return cache.keys().then(function (keys) {
    var extra = keys.length - MAX_PAGES;
    return Promise.all(keys.slice(0, Math.max(extra, 0)).map(function (key) { return cache.delete(key); }));
  });
}

/* Pages: the network first (fresh activity), the last copy when the box cannot be reached. */
function pageFromNetwork(request, path) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && isPupilPage(path)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) {
        return cache.put(request, copy).then(function () { return trimPages(cache); });
      });
    }
    return response;
  }).catch(function (error) {
    if (!isPupilPage(path)) { throw error; }
    return caches.match(request, { ignoreSearch: false }).then(function (hit) {
      return hit || caches.match("/");
    }).then(function (hit) {
      if (hit) { return hit; }
      throw error;
    });
  });
}

/* Static files and blobs: immutable or versioned, so the cached copy first. */
function assetCacheFirst(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/socket.io/") === 0 || url.pathname.indexOf("/api/") === 0) { return; }
  if (request.headers.has("range")) { return; }  // video seeking: always the network
  if (request.mode === "navigate") {
    event.respondWith(pageFromNetwork(request, url.pathname));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/blobs/") === 0 ||
             url.pathname === "/manifest.webmanifest") {
    event.respondWith(assetCacheFirst(request));
  }
});

/* The pupil page names the files of the activity on screen; keep those, drop the previous ones. */
function cacheActivity(urls) {
  var wanted = urls.map(function (u) { return new URL(u, self.location.origin).href; })
    .filter(function (href) { return href.indexOf(self.location.origin + "/") === 0; });
  return caches.open(ACTIVITY).then(function (cache) {
    return cache.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return wanted.indexOf(key.url) < 0; })
        .map(function (key) { return cache.delete(key); }));
    }).then(function () {
      return Promise.all(wanted.map(function (href) {
        return cache.match(href).then(function (hit) {
          if (hit) { return true; }
          return fetch(href).then(function (response) {
            var size = Number(response.headers.get("content-length") || 0);
            if (!response.ok || response.status !== 200 || size > MAX_ASSET_BYTES) { return false; }
            return cache.put(href, response).then(function () { return true; });
          }).catch(function () { return false; });
        });
      }));
    });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "cache-activity" && Array.isArray(data.urls)) {
    var reply = event.ports && event.ports[0];
    event.waitUntil(cacheActivity(data.urls).then(function (results) {
      if (reply) { reply.postMessage({ cached: results.filter(Boolean).length }); }
    }));
  }
});
