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

/* A byte range of a kept file (media elements always ask for ranges). */
function rangeFromCache(request) {
  return caches.match(request.url).then(function (hit) {
    var m = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range") || "");
    if (!hit || !m || (m[1] === "" && m[2] === "")) { return fetch(request); }
    return hit.arrayBuffer().then(function (body) {
      var size = body.byteLength, start, end;
      if (m[1] === "") { start = Math.max(0, size - Number(m[2])); end = size - 1; }
      else { start = Number(m[1]); end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1); }
      if (start >= size || start > end) {
        return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
      }
      return new Response(body.slice(start, end + 1), { status: 206, headers: {
        "Content-Type": hit.headers.get("content-type") || "application/octet-stream",
        "Content-Range": "bytes " + start + "-" + end + "/" + size,
        "Content-Length": String(end - start + 1), "Accept-Ranges": "bytes" } });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/socket.io/") === 0 || url.pathname.indexOf("/api/") === 0) { return; }
  if (url.pathname.indexOf("/h5p/") === 0) { return; }  // the H5P player: sent to its own site (h5porigin.py)
  if (request.headers.has("range")) {  // video seeking: a kept blob answers from the cache, else the network
    if (url.pathname.indexOf("/blobs/") === 0) { event.respondWith(rangeFromCache(request)); }
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(pageFromNetwork(request, url.pathname));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/blobs/") === 0 ||
             url.pathname.indexOf("/pictograms/") === 0 ||
             url.pathname === "/manifest.webmanifest") {
    event.respondWith(assetCacheFirst(request));
  }
});

/* Same-origin files an activity page embeds (a video, an image, a lesson), one level deep. */
var EMBEDDED = /\s(?:src|data)="(\/(?:blobs|library\/files|static)\/[^"<>\s]+)"/g;

function boxHref(u) {
  var href = new URL(u, self.location.origin).href;
  return href.indexOf(self.location.origin + "/") === 0 ? href : null;
}

function keep(cache, href) {
  return cache.match(href).then(function (hit) {
    if (hit) { return []; }
    return fetch(href).then(function (response) {
      var size = Number(response.headers.get("content-length") || 0);
      if (!response.ok || response.status !== 200 || size > MAX_ASSET_BYTES) { return []; }
      var type = response.headers.get("content-type") || "";
      var read = type.indexOf("text/html") === 0 ? response.clone().text() : Promise.resolve("");
      return cache.put(href, response).then(function () { return read; }).then(function (html) {
        var found = [href], match;
        EMBEDDED.lastIndex = 0;
        while ((match = EMBEDDED.exec(html)) !== null) { found.push(boxHref(match[1].replace(/&amp;/g, "&"))); }
        return found;
      });
    }).catch(function () { return []; });
  });
}

/* The pupil page names the files of the activity on screen; keep those (and what their pages
 * embed), drop the previous activity's. */
function cacheActivity(urls) {
  var wanted = urls.map(boxHref).filter(Boolean);
  return caches.open(ACTIVITY).then(function (cache) {
    return Promise.all(wanted.map(function (href) { return keep(cache, href); })).then(function (lists) {
      var embedded = [];
      lists.forEach(function (list) { list.slice(1).forEach(function (h) { if (h) { embedded.push(h); } }); });
      return Promise.all(embedded.map(function (href) { return keep(cache, href); })).then(function () {
        var all = wanted.concat(embedded);
        return cache.keys().then(function (keys) {
          return Promise.all(keys.filter(function (key) { return all.indexOf(key.url) < 0; })
            .map(function (key) { return cache.delete(key); }));
        }).then(function () {
          return Promise.all(all.map(function (href) { return cache.match(href); }));
        });
      });
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
