/* classbox: the pupil's answers, sent once and re-sent until the box acks them durable.
   Every answer gets a uuid made here; the box treats a re-sent uuid as the same answer.
   Pending answers live in localStorage, so a reload or a Wi-Fi drop loses nothing. */
(function (global) {
  "use strict";
  var KEY = "classbox.pending";

  function uuid() {
    if (global.crypto && global.crypto.randomUUID) { return global.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    global.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() {
    try { return JSON.parse(global.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) {
    try { global.localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode: memory only */ }
  }
  function forget(id) { save(load().filter(function (p) { return p.submission_id !== id; })); }

  function emitOne(socket, item) {
    return new Promise(function (resolve) {
      socket.timeout(10000).emit("submit", item, function (err, ack) {
        if (err) { resolve({ ok: false, error: "offline" }); return; }
        if (ack && (ack.ok || ack.error !== "storage")) { forget(item.submission_id); }
        resolve(ack || { ok: false, error: "offline" });
      });
    });
  }

  /* pages (#9): with static/pupil/offline-queue.js loaded, answers wait in IndexedDB (ClassboxOutbox)
     instead of localStorage; same uuid on every resend, same acks for the page. */
  var outbox = global.ClassboxOutbox;
  var TRANSIENT = ["storage", "storage_full", "rate_limited", "not_joined", "offline"];

  function offline() { return { ok: false, error: "offline", message: _("Pas de connexion : réessayez.") }; }

  /* A photo or file: multipart POST with the uuid made on the device, so a resend is the same hand-in.
     A 5xx or 429 is the box's trouble, not the file's: kept and tried again ("storage"). */
  function postFile(record) {
    var form = new FormData();
    form.append("token", record.token); form.append("activity_id", record.activity_id);
    form.append("submission_id", record.submission_id); form.append("kind", record.kind);
    form.append("file", record.file, record.filename);
    return fetch("/api/classroom/handin", { method: "POST", body: form })
      .then(function (r) {
        return r.json().catch(function () { return { ok: false, error: "http_" + r.status }; }).then(function (ack) {
          if (r.status >= 500 || r.status === 429) {
            ack.ok = false;
            if (TRANSIENT.indexOf(ack.error) < 0) { ack.error = "storage"; }
            ack.message = ack.message || _("La classbox n'a pas pu enregistrer : le travail est gardé et sera renvoyé.");
          }
          return ack;
        });
      }, offline);
  }

  function outboxSender(socket) {
    return function (record) {
      var sending;
      if (record.file) {
        sending = postFile(record);
      } else {
        if (!socket.connected) { return Promise.reject({ error: "offline" }); }
        sending = emitOne(socket, { activity_id: record.activity_id, submission_id: record.submission_id, answer: record.answer });
      }
      return sending.then(function (ack) {
        if (ack && ack.ok) { return ack; }
        throw { permanent: !!ack && TRANSIENT.indexOf(ack.error) < 0, ack: ack };
      });
    };
  }

  /* Queue a record on the device, then try to deliver everything queued; resolves with this
     record's ack, or {ok: false, error: "offline", queued: true} while it waits for the Wi-Fi. */
  function sendQueued(socket, submission) {
    return outbox.enqueue(submission).then(function (record) {
      var id = record.submission_id, outcome = null;
      var off = outbox.on(function (d) {
        if (d.submission_id === id && (d.state === "sent" || d.state === "rejected" || d.state === "waiting")) {
          outcome = outcome || d.state;
        }
      });
      var send = outboxSender(socket), ack = null;
      return outbox.flush(function (r) {
        return send(r).then(function (a) { if (r.submission_id === id) { ack = a; } return a; },
          function (e) { if (r.submission_id === id && e && e.ack) { ack = e.ack; } throw e; });
      }).then(done, done);
      function done() {  /* the flush may be another one's, already running: its outcome still counts */
        off();
        if (outcome === "sent") { return ack || { ok: true, submission_id: id }; }
        if (outcome === "rejected") {
          return ack || { ok: false, error: "rejected", message: _("Réponse refusée par la classbox.") };
        }
        if (ack && ack.error && ack.error !== "offline") {  /* the box answered: its words, not a Wi-Fi message */
          return { ok: false, error: ack.error, message: ack.message, queued: true, submission_id: id };
        }
        return { ok: false, error: "offline", queued: true, submission_id: id };
      }
    }, function () {
      /* The device would not keep it (storage full, private browsing): send it now, unqueued. */
      submission.submission_id = submission.submission_id || uuid();
      return outboxSender(socket)(submission).catch(function (e) { return (e && e.ack) || offline(); });
    });
  }

  /* Send an answer: resolves with the box's ack ({ok, submission_id} or {ok:false, error, message}). */
  function send(socket, activityId, answer) {
    if (outbox) { return sendQueued(socket, { activity_id: activityId, answer: answer }); }  /* pages (#9) */
    var item = { activity_id: activityId, submission_id: uuid(), answer: answer };
    var list = load(); list.push(item); save(list);
    if (!socket.connected) { return Promise.resolve({ ok: false, error: "offline", queued: true }); }
    return emitOne(socket, item);
  }

  /* Re-send every answer not yet acked (call after each (re)join). With the outbox: now, when the
     browser says it is online again, and every 5 s while something waits (a 5xx, a 429). */
  function flush(socket) {
    if (outbox) { return outbox.start(outboxSender(socket), { retryMs: 5000 }); }  /* pages (#9) */
    return Promise.all(load().map(function (item) { return emitOne(socket, item); }));
  }

  /* Hand in a photo or a file over HTTP (multipart), acked once durable. With the outbox, the file
     waits in IndexedDB like an answer (a Wi-Fi drop or a reload loses nothing) and is sent, with the
     same uuid, when the box is reachable again (socket or page (re)join, ClassboxSubmit.flush). */
  function sendFile(socket, token, activityId, kind, file) {
    var record = { activity_id: activityId, kind: kind, file: file, filename: file.name || kind, token: token };
    if (outbox) { return sendQueued(socket, record); }
    record.submission_id = uuid();
    return postFile(record);
  }

  global.ClassboxSubmit = { send: send, flush: flush, sendFile: sendFile, pending: load, uuid: uuid };
})(window);
