/* classbox: "open a session" on the teacher's home (for one of their classes: pupils tap their name),
   then go to its live dashboard (an ES module). */
import { classroomSocket, el, say } from "./toolkit.js";

var form = document.getElementById("open-session-form");
var socket = classroomSocket();
form.addEventListener("submit", function (e) {
  e.preventDefault();
  var data = { title: document.getElementById("session-title").value };
  if (picker.value) { data.class_id = parseInt(picker.value, 10); }
  socket.emit("open_session", data, function (ack) {
    if (ack.ok) { window.location.href = "/teacher/sessions/" + ack.code; }
    else { say(document.getElementById("open-status"), ack.message); }
  });
});

var picker = document.getElementById("session-class");
fetch("/api/classes", { credentials: "same-origin" })
  .then(function (r) { return r.ok ? r.json() : { classes: [] }; })
  .then(function (body) {
    body.classes.forEach(function (c) { picker.appendChild(el("option", { value: String(c.id) }, c.name)); });
    document.getElementById("session-class-line").hidden = !body.classes.length;
  })
  .catch(function () { /* no class list: a session without a class */ });
