/* classbox: the H5P player's page, inside a sandboxed frame (a classic script: the frame has no
   origin of its own, so the box serves it without CORS). Starts h5p-standalone with the options the
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

  function tell(message) {
    /* the parent is the box's page (its origin is the box's); this frame has none of its own */
    if (window.parent !== window) { window.parent.postMessage(message, box); }
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
    tell({ source: "classbox-h5p", type: "ready" });
    height();
  }, function (error) {
    failed.hidden = false;
    tell({ source: "classbox-h5p", type: "failed", message: String(error && error.message || error) });
  });
}());
