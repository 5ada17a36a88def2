/* classbox: on the teacher's dashboard, a pupil asks to be a class member who is connected from
 * another device; the teacher allows it (the other device is out) or refuses (an ES module). */
import { _, el, say } from "../toolkit.js";

var root = document.getElementById("teacher-app");
var list = document.getElementById("takeover-requests");
var socket = window.ClassboxDashboard && window.ClassboxDashboard.socket;

function answer(request, allow, item) {
  socket.emit("answer_takeover", { request_id: request.request_id, allow: allow }, function (ack) {
    if (!ack.ok) { say(item.querySelector("[role=status]"), ack.message); return; }
    item.remove();
  });
}

function show(request) {
  if (document.getElementById("takeover-" + request.request_id)) { return; }
  var item = el("li", { id: "takeover-" + request.request_id, "class": "takeover" });
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

if (socket && list) {
  socket.on("takeover_request", show);
  socket.on("takeover_done", function (d) {
    var item = document.getElementById("takeover-" + d.request_id);
    if (item) { item.remove(); }
  });
  root.addEventListener("classbox:watched", function () {
    socket.emit("pending_takeovers", {}, function (ack) { if (ack.ok) { ack.requests.forEach(show); } });
  });
}
