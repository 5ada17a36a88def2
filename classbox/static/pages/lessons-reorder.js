/* The lesson page's drag handles (an ES module): move a step by dragging its handle ⠿ with a finger
 * or a mouse, or with the arrow keys once the handle has focus. The new order is saved with the
 * version the page was made from; the list is then read back from the box, so what is shown is
 * what is saved (a stale version: the box's order comes back, with the reason). Without this
 * script the « Monter / Descendre » buttons do the same through plain forms. */
import { _, say } from "../toolkit.js";

var section = document.getElementById("steps-section");
var status = document.getElementById("reorder-status");
var token = document.querySelector("input[name=csrf_token]");
var busy = false;

function list() { return document.getElementById("steps"); }
function items() { return Array.prototype.slice.call(list().children); }

function arm() {
  items().forEach(function (li) {
    var handle = li.querySelector(".drag-handle");
    if (!handle) { return; }
    handle.hidden = false;
    handle.addEventListener("keydown", onKey);
    handle.addEventListener("pointerdown", onPointerDown);
  });
}

/* read the list back from the box; focus the handle of the step now at `position` */
function reload(position, message) {
  return fetch(window.location.pathname, { cache: "no-store", credentials: "same-origin" })
    .then(function (r) { return r.text(); })
    .then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var freshList = fresh.getElementById("steps");
      var freshSection = fresh.getElementById("steps-section");
      if (freshList) { list().replaceWith(document.importNode(freshList, true)); }
      if (freshSection) { section.dataset.version = freshSection.dataset.version; }
      arm();
      var handle = position === null ? null : items()[position] && items()[position].querySelector(".drag-handle");
      if (handle) { handle.focus(); }
      say(status, message);
    });
}

function save(position) {
  var order = items().map(function (li) { return li.dataset.index; }).join(",");
  var body = new URLSearchParams({ order: order, version: section.dataset.version, csrf_token: token ? token.value : "" });
  busy = true;
  return fetch(section.dataset.orderUrl, { method: "POST", body: body, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" } })
    .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
    .then(function (res) {
      var said = res.ok ? _("Étape déplacée : position %(position)s sur %(total)s.",
        { position: position + 1, total: items().length }) : res.data.message;
      return reload(position, said);
    })
    .catch(function () {
      return reload(null, _("La classbox ne répond pas : le nouvel ordre n'a pas été enregistré."));
    })
    .then(function () { busy = false; }, function () { busy = false; });
}

function onKey(event) {
  var li = event.currentTarget.closest("li");
  var at = items().indexOf(li);
  var to = event.key === "ArrowUp" ? at - 1 : event.key === "ArrowDown" ? at + 1 : -1;
  if (event.key !== "ArrowUp" && event.key !== "ArrowDown") { return; }
  event.preventDefault();
  if (busy || to < 0 || to >= items().length) { return; }
  list().insertBefore(li, to < at ? items()[to] : items()[to].nextSibling);
  event.currentTarget.focus();
  save(to);
}

function onPointerDown(event) {
  if (busy || (event.pointerType === "mouse" && event.button !== 0)) { return; }
  var handle = event.currentTarget;
  var li = handle.closest("li");
  var start = items().indexOf(li);
  var pointer = event.pointerId;
  event.preventDefault();
  li.classList.add("dragging");
  /* on the document: moving the step in the list releases any pointer capture of its handle */
  function move(e) {
    if (e.pointerId !== pointer) { return; }
    var all = items(), at = all.indexOf(li);
    var before = all[at - 1], after = all[at + 1];
    if (before && e.clientY < before.getBoundingClientRect().top + before.offsetHeight / 2) {
      list().insertBefore(li, before);
    } else if (after && e.clientY > after.getBoundingClientRect().top + after.offsetHeight / 2) {
      list().insertBefore(li, after.nextSibling);
    }
  }
  function end(e) {
    if (e.pointerId !== pointer) { return; }
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", end);
    document.removeEventListener("pointercancel", end);
    li.classList.remove("dragging");
    var now = items().indexOf(li);
    if (e.type === "pointercancel" && now !== start) {
      var rest = items().filter(function (x) { return x !== li; });
      list().insertBefore(li, rest[start] || null);
      return;
    }
    if (now !== start) { save(now); }
  }
  document.addEventListener("pointermove", move);
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);
}

if (section && section.dataset.orderUrl && list()) { arm(); }
