/* classbox: "open a session" on the teacher's home, then go to its live dashboard. */
(function () {
  "use strict";
  var form = document.getElementById("open-session-form");
  var socket = io("/classroom", { transports: ["websocket", "polling"], auth: { lang: document.documentElement.lang } });  // the page's language, not the handshake's
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    socket.emit("open_session", { title: document.getElementById("session-title").value }, function (ack) {
      if (ack.ok) { window.location.href = "/teacher/sessions/" + ack.code; }
      else { document.getElementById("open-status").textContent = ack.message; }
    });
  });
})();
