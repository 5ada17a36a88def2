/* classbox: the H5P player's page, inside a sandboxed frame (a classic script: in an opaque origin
   the box serves it without CORS; on the player's own site, h5porigin.py, it is same-origin). Starts h5p-standalone with the options the
   box put in the page, passes the exercise's xAPI statements and its height to the page around it,
   and says so in words when the exercise asks for something on the Internet. */
/* global H5PStandalone, H5P */
(function () {
  "use strict";
  var options = JSON.parse(document.getElementById("h5p-options").textContent);
  var notice = document.getElementById("h5p-internet");
  var failed = document.getElementById("h5p-failed");
  var container = document.getElementById("h5p-container");
  var box = window.location.protocol + "//" + window.location.host;
  var parentOrigin = options.parent || box;  /* the box page around the frame */

  /* Without an origin the frame has no storage (reading localStorage throws), and on the player's
     site a storage would be shared by every exercise and every pupil of a tablet; H5P's core wants
     one: give it one in memory, forgotten with the page (it never sees the box's own storage). */
  function memoryStorage() {
    var items = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(items, k) ? items[k] : null; },
      setItem: function (k, v) { items[k] = String(v); },
      removeItem: function (k) { delete items[k]; },
      clear: function () { items = {}; },
      key: function (i) { return Object.keys(items)[i] || null; },
      get length() { return Object.keys(items).length; }
    };
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    Object.defineProperty(window, name, { value: memoryStorage(), configurable: true });
  });

  function tell(message) {
    /* the parent is the box's page: only its origin may read the messages */
    if (window.parent !== window) { window.parent.postMessage(message, parentOrigin); }
  }

  function needsInternet() { notice.hidden = false; tell({ source: "classbox-h5p", type: "internet" }); }
  if (options.internet && options.internet.length) { needsInternet(); }

  function watch(doc) {
    doc.addEventListener("securitypolicyviolation", function (e) {
      if (/^(https?|wss?):/.test(e.blockedURI) && e.blockedURI.indexOf(box + "/") !== 0) { needsInternet(); }
    });
  }
  watch(document);
  new MutationObserver(function (changes) {  /* H5P's own iframe, once its document exists */
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) {
        var frames = node.querySelectorAll ? node.querySelectorAll("iframe") : [];
        Array.prototype.forEach.call(frames, function (frame) {
          try { watch(frame.contentDocument); } catch (e) { /* not ours */ }
          frame.addEventListener("load", function () { try { watch(frame.contentDocument); } catch (e) { /* not ours */ } });
        });
      });
    });
  }).observe(container, { childList: true, subtree: true });

  function statement(event) {
    var s = event && event.data && event.data.statement;
    if (!s || !s.verb || !s.object) { return null; }
    var parents = s.context && s.context.contextActivities && s.context.contextActivities.parent;
    return { verb: String(s.verb.id || ""), object: String(s.object.id || ""), sub: !!(parents && parents.length),
             result: s.result || null };
  }

  function height() { tell({ source: "classbox-h5p", type: "height", height: document.documentElement.scrollHeight }); }
  if (window.ResizeObserver) { new ResizeObserver(height).observe(document.body); }

  new H5PStandalone.H5P(container, options.player).then(function () {
    H5P.externalDispatcher.on("xAPI", function (event) {
      var s = statement(event);
      if (s) { tell({ source: "classbox-h5p", type: "xapi", statement: s }); }
    });
    document.documentElement.setAttribute("data-h5p", "ready");
    tell({ source: "classbox-h5p", type: "ready" });
    height();
  }, function (error) {
    document.documentElement.setAttribute("data-h5p", "failed " + String(error && error.stack || error));
    failed.hidden = false;
    tell({ source: "classbox-h5p", type: "failed", message: String(error && error.message || error) });
  });
}());
