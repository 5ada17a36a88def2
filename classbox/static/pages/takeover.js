/* classbox: on the teacher's dashboard, a pupil asks to be a class member who is connected from
 * another device; the teacher allows it (the other device is out) or refuses. A member locked after
 * too many wrong picture secrets is shown too, with the way to a new secret (an ES module). */
import { _, el, say } from "../toolkit.js";

var root = document.getElementById("teacher-app");
var list = document.getElementById("takeover-requests");
var socket = window.ClassboxDashboard && window.ClassboxDashboard.socket;

/* What really happened to a request, as takeover_done or the answer's ack says (docs/protocol.md). */
function outcomeText(outcome, name) {
  if (outcome === "allowed") {
    return _("%(name)s est entré(e) sur le nouvel appareil ; l'autre appareil est sorti.", { name: name });
  }
  if (outcome === "refused") { return _("Demande de %(name)s refusée : son nouvel appareil le sait.", { name: name }); }
  if (outcome === "gone") {
    return _("L'appareil qui demandait pour %(name)s s'est déconnecté avant votre réponse : rien n'a changé.", { name: name });
  }
  return _("Votre réponse pour %(name)s n'a pas pu être appliquée : rien n'a changé. L'élève peut toucher son prénom à nouveau.",
    { name: name });
}

function setButtons(item, enabled) {
  item.querySelectorAll("button.allow-takeover, button.refuse-takeover").forEach(function (b) { b.disabled = !enabled; });
}

function dismiss(item) {
  item.remove();
  if (!list.children.length) { list.hidden = true; }
}

/* The request is over: its buttons go, the outcome stays until the teacher closes it. */
function finish(item, text) {
  var focused = item.contains(document.activeElement) || item.dataset.answering === "1";
  item.classList.add("takeover-done");
  item.querySelectorAll("button.allow-takeover, button.refuse-takeover").forEach(function (b) { b.remove(); });
  say(item.querySelector("[role=status]"), text);
  var close = item.querySelector("button.close-takeover");
  if (!close) {
    close = el("button", { type: "button", "class": "close-takeover" }, _("Fermer"));
    close.addEventListener("click", function () { dismiss(item); });
    item.appendChild(close);
  }
  if (focused) { close.focus(); }
}

function answer(request, allow, item) {
  item.dataset.answering = "1";  /* its clicked button is disabled: the focus goes to the outcome's button */
  setButtons(item, false);
  say(item.querySelector("[role=status]"), _("Réponse envoyée…"));
  socket.emit("answer_takeover", { request_id: request.request_id, allow: allow }, function (ack) {
    if (ack.ok) { finish(item, outcomeText(ack.allowed ? "allowed" : "refused", request.name)); return; }
    if (item.classList.contains("takeover-done")) { return; }  /* takeover_done already told what happened */
    if (ack.error === "gone") { finish(item, outcomeText("gone", request.name)); return; }
    say(item.querySelector("[role=status]"), ack.message);
    if (ack.error === "no_reply") {  /* the device's worker has the answer: its takeover_done will say what it did */
      item.classList.add("takeover-waiting");
      return;
    }
    if (ack.error === "unknown_request") { finish(item, ack.message); return; }
    setButtons(item, true);  /* retry and the rest: nothing happened, the teacher answers again */
    if (item.dataset.answering === "1") { item.querySelector("button.allow-takeover").focus(); }
    item.dataset.answering = "";
  });
}

function show(request) {
  if (document.getElementById("takeover-" + request.request_id)) { return; }
  var item = el("li", { id: "takeover-" + request.request_id, "class": "takeover", "data-name": request.name });
  item.appendChild(el("img", { src: request.picture_url, alt: "", width: "40", height: "40" }));
  item.appendChild(el("span", {}, _("%(name)s veut rejoindre depuis un autre appareil, alors qu'un appareil est déjà connecté à ce nom.",
    { name: request.name })));
  var allow = el("button", { type: "button", "class": "allow-takeover" }, _("Autoriser"));
  var refuse = el("button", { type: "button", "class": "refuse-takeover danger" }, _("Refuser"));
  allow.addEventListener("click", function () { answer(request, true, item); });
  refuse.addEventListener("click", function () { answer(request, false, item); });
  item.appendChild(allow); item.appendChild(refuse);
  item.appendChild(el("span", { role: "status" }));
  list.appendChild(item);
  list.hidden = false;
  allow.focus();
}

function showLocked(member) {
  if (document.getElementById("locked-" + member.member_id)) { return; }
  var item = el("li", { id: "locked-" + member.member_id, "class": "takeover secret-locked" });
  item.appendChild(el("img", { src: member.picture_url, alt: "", width: "40", height: "40" }));
  item.appendChild(el("span", {}, _("%(name)s est bloqué(e) : trop d'images secrètes fausses. Donnez-lui de nouvelles images.",
    { name: member.name })));
  item.appendChild(el("a", { href: "/teacher/classes/" + member.class_id + "#secrets" }, _("Page de la classe")));
  list.appendChild(item);
  list.hidden = false;
}

if (socket && list) {
  socket.on("secret_locked", showLocked);
  socket.on("takeover_request", show);
  socket.on("takeover_done", function (d) {
    var item = document.getElementById("takeover-" + d.request_id);
    if (item) { finish(item, outcomeText(d.outcome, item.dataset.name)); }
  });
  root.addEventListener("classbox:watched", function () {
    socket.emit("pending_takeovers", {}, function (ack) { if (ack.ok) { ack.requests.forEach(show); } });
    socket.emit("locked_members", {}, function (ack) { if (ack.ok) { ack.members.forEach(showLocked); } });
  });
}
