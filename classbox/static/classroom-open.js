/* classbox: "open a session" on the teacher's home, then go to its live dashboard (an ES module). */
import { classroomSocket, say } from "./toolkit.js";

var form = document.getElementById("open-session-form");
var socket = classroomSocket();
form.addEventListener("submit", function (e) {
  e.preventDefault();
  socket.emit("open_session", { title: document.getElementById("session-title").value }, function (ack) {
    if (ack.ok) { window.location.href = "/teacher/sessions/" + ack.code; }
    else { say(document.getElementById("open-status"), ack.message); }
  });
});
