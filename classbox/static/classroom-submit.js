/* classbox: the pupil's answers and hand-ins, sent once and re-sent until the box acks them
   durable (an ES module). Every record gets a uuid made on the device; the box treats a re-sent
   uuid as the same answer. Records wait in the device's outbox (pupil/offline-queue.js), so a
   reload or a Wi-Fi drop loses nothing. */
import { outbox } from "./pupil/offline-queue.js";
import { _, uuid } from "./toolkit.js";

var TRANSIENT = ["storage", "storage_full", "rate_limited", "not_joined", "offline"];

function offline() { return { ok: false, error: "offline", message: _("Pas de connexion : réessayez.") }; }

function emitOne(socket, item, event) {
  return new Promise(function (resolve) {
    socket.timeout(10000).emit(event || "submit", item, function (err, ack) {
      resolve(err ? { ok: false, error: "offline" } : ack || { ok: false, error: "offline" });
    });
  });
}

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
      sending = emitOne(socket, { activity_id: record.activity_id, submission_id: record.submission_id, answer: record.answer },
        record.event);  /* "lesson_answer" for a self-paced lesson's step */
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
    return outbox.flush(function (r) {
      return send(r).then(function (a) { if (r.submission_id === id) { ack = a; } return a; },
        function (e) { if (r.submission_id === id && e && e.ack) { ack = e.ack; } throw e; });
    }).then(done, done);
  }, function () {
    /* The device would not keep it (storage full, private browsing): send it now, unqueued. */
    submission.submission_id = submission.submission_id || uuid();
    return outboxSender(socket)(submission).catch(function (e) { return (e && e.ack) || offline(); });
  });
}

export var submit = {
  /* Send an answer (event: "submit", or "lesson_answer" for a self-paced step): resolves with the box's ack
     ({ok, submission_id, ...} or {ok:false, error, message}). */
  send: function (socket, activityId, answer, event) {
    var record = { activity_id: activityId, answer: answer };
    if (event) { record.event = event; }
    return sendQueued(socket, record);
  },
  /* Re-send every record not yet acked (call after each (re)join): now, when the browser says it
     is online again, and every 5 s while something waits (a 5xx, a 429). */
  flush: function (socket) {
    return outbox.start(outboxSender(socket), { retryMs: 5000 });
  },
  /* Hand in a photo or a file over HTTP (multipart), acked once durable; it waits on the device
     like an answer and is sent again, with the same uuid, when the box is reachable. */
  sendFile: function (socket, token, activityId, kind, file) {
    return sendQueued(socket, { activity_id: activityId, kind: kind, file: file, filename: file.name || kind, token: token });
  }
};
