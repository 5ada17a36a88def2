/* classbox pupil outbox: answers wait on the device (IndexedDB) until the box has them (an ES
 * module; `outbox` is also window.ClassboxOutbox).
 *
 *   outbox.enqueue({activity_id, answer, ...})  -> Promise<record with submission_id>
 *   outbox.flush(sendFn)                        -> Promise<{sent, pending}>
 *   outbox.start(sendFn, {retryMs})             flush now, on "online", then every retryMs
 *   outbox.on(listener)                         -> unsubscribe function
 *   outbox.bindStatus(element)                  show the status text in an element
 *   outbox.pending()                            -> Promise<[records, oldest first]>
 *
 * sendFn(record) returns a Promise: resolved once the box acknowledged the answer (it is then
 * removed from the device); rejected with {permanent: true} when the box refuses it for good
 * (removed, status "rejected"); rejected otherwise (kept, status "waiting", tried again later).
 * Every record keeps its submission_id (a uuid made on the device), so a resend after a lost
 * acknowledgement is recognised by the box and counted once.
 * Listeners receive {state, submission_id, pending}; state is one of
 * "queued", "sending", "sent", "waiting", "rejected". */
import { uuid } from "../toolkit.js";

var DB_NAME = "classbox-outbox";
var STORE = "submissions";
var listeners = [];
var memory = {};            // fallback when IndexedDB is unavailable (private mode, old browser)
var dbPromise = null;
var running = null;
var again = false;
var counter = 0;
var started = null;

function openDb() {
  if (dbPromise) { return dbPromise; }
  dbPromise = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var request;
    try { request = window.indexedDB.open(DB_NAME, 1); } catch (e) { resolve(null); return; }
    request.onupgradeneeded = function () {
      request.result.createObjectStore(STORE, { keyPath: "submission_id" });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { resolve(null); };
    request.onblocked = function () { resolve(null); };
  });
  return dbPromise;
}

function tx(mode, work) {
  return openDb().then(function (db) {
    if (!db) { return work(null); }
    return new Promise(function (resolve, reject) {
      var t = db.transaction(STORE, mode);
      var result = Promise.resolve(work(t.objectStore(STORE)));
      t.oncomplete = function () { resolve(result); };
      t.onerror = function () { reject(t.error); };
      t.onabort = function () { reject(t.error); };
    });
  });
}

function requestValue(req) {
  return new Promise(function (resolve, reject) {
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });
}

function pending() {
  return tx("readonly", function (store) {
    if (!store) {
      return Object.keys(memory).map(function (k) { return memory[k]; });
    }
    return requestValue(store.getAll());
  }).then(function (records) {
    return (records || []).sort(function (a, b) { return a.queued_at - b.queued_at || a.order - b.order; });
  });
}

function remove(id) {
  return tx("readwrite", function (store) {
    if (!store) { delete memory[id]; return; }
    store.delete(id);
  });
}

function emit(state, id) {
  return pending().then(function (list) {
    var detail = { state: state, submission_id: id || null, pending: list.length };
    listeners.slice().forEach(function (fn) { try { fn(detail); } catch (e) { /* listener bug */ } });
    return detail;
  });
}

function enqueue(submission) {
  var record = {};
  Object.keys(submission || {}).forEach(function (k) { record[k] = submission[k]; });
  record.submission_id = record.submission_id || uuid();
  record.queued_at = Date.now();
  record.order = counter++;
  return tx("readwrite", function (store) {
    if (!store) { memory[record.submission_id] = record; return; }
    store.put(record);
  }).then(function () {
    return emit("queued", record.submission_id);
  }).then(function () { return record; });
}

function flushOnce(sendFn) {
  var sent = 0;
  return pending().then(function (list) {
    var chain = Promise.resolve(true);
    list.forEach(function (record) {
      chain = chain.then(function (goOn) {
        if (!goOn) { return false; }
        return emit("sending", record.submission_id).then(function () {
          return Promise.resolve().then(function () { return sendFn(record); });
        }).then(function () {
          sent += 1;
          return remove(record.submission_id).then(function () { return emit("sent", record.submission_id); })
            .then(function () { return true; });
        }, function (error) {
          if (error && error.permanent) {
            return remove(record.submission_id).then(function () {
              return emit("rejected", record.submission_id);
            }).then(function () { return true; });
          }
          return emit("waiting", record.submission_id).then(function () { return false; });
        });
      });
    });
    return chain;
  }).then(function () {
    return pending().then(function (list) { return { sent: sent, pending: list.length }; });
  });
}

function flush(sendFn) {
  sendFn = sendFn || (started && started.sendFn);
  if (!sendFn) { return Promise.reject(new Error("ClassboxOutbox.flush needs a send function")); }
  if (running) { again = true; return running; }
  running = flushOnce(sendFn).then(function (result) {
    running = null;
    if (again) { again = false; return flush(sendFn); }
    return result;
  }, function (error) { running = null; throw error; });
  return running;
}

function start(sendFn, options) {
  var retryMs = (options && options.retryMs) || 5000;
  if (started) { clearInterval(started.timer); window.removeEventListener("online", started.onOnline); }
  started = { sendFn: sendFn };
  started.onOnline = function () { flush(sendFn); };
  started.timer = setInterval(function () {
    pending().then(function (list) { if (list.length) { flush(sendFn); } });
  }, retryMs);
  window.addEventListener("online", started.onOnline);
  return flush(sendFn);
}

function on(listener) {
  listeners.push(listener);
  return function () { listeners = listeners.filter(function (fn) { return fn !== listener; }); };
}

/* Shows the status in `element` (an aria-live region). Its texts come from data attributes
 * so the page can translate them: data-sent, data-waiting, data-sending, data-rejected. */
function bindStatus(element) {
  var texts = {
    queued: element.getAttribute("data-sending"),
    sending: element.getAttribute("data-sending"),
    sent: element.getAttribute("data-sent"),
    waiting: element.getAttribute("data-waiting"),
    rejected: element.getAttribute("data-rejected")
  };
  return on(function (detail) {
    var state = detail.state === "sent" && detail.pending > 0 ? "sending" : detail.state;
    if (!texts[state]) { return; }
    element.setAttribute("data-state", state);
    element.textContent = texts[state];
  });
}

export var outbox = { enqueue: enqueue, flush: flush, start: start, on: on, bindStatus: bindStatus, pending: pending };
window.ClassboxOutbox = outbox;  /* for the console and the tests */
