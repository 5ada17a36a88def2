/* classbox: the dashboard's defences against a flood of fake pupils (close joining, remove the
   ticked pupils at once) and the banner saying the box's disk refuses hand-ins; an ES module
   loaded after classroom-teacher.js, whose socket it shares. */
import { _ } from "./toolkit.js";

var root = document.getElementById("teacher-app");
var socket = window.ClassboxDashboard && window.ClassboxDashboard.socket;
var toggle = document.getElementById("joining-toggle");
if (socket && toggle) { guard(); }

function guard() {
  var joiningStatus = document.getElementById("joining-status");
  var removeStatus = document.getElementById("remove-status");
  var banner = document.getElementById("storage-banner");

  function showJoining(open) {
    toggle.setAttribute("aria-pressed", open ? "false" : "true");
    toggle.textContent = open ? toggle.dataset.close : toggle.dataset.open;
    joiningStatus.textContent = open ? joiningStatus.dataset.opened : joiningStatus.dataset.closed;
  }
  function showStorage(s) {
    banner.hidden = !s || s.handins;
    banner.textContent = banner.hidden ? "" : _("Disque de la classbox presque plein (%(free)s Mo libres) : " +
      "les photos et fichiers des élèves sont refusés, les réponses restent enregistrées.", { free: s.free_mb });
  }
  root.addEventListener("classbox:watched", function (e) {
    showJoining(e.detail.session.joining !== false);
    showStorage(e.detail.storage);
  });
  socket.on("joining", function (d) { showJoining(d.joining); });
  socket.on("storage", showStorage);

  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-pressed") === "true";
    socket.emit("set_joining", { open: open }, function (ack) {
      if (ack.ok) { showJoining(ack.joining); } else { joiningStatus.textContent = ack.message; }
    });
  });
  document.getElementById("remove-selected").addEventListener("click", function () {
    var ids = Array.prototype.filter.call(document.querySelectorAll("#pupil-list input.target"),
      function (x) { return x.checked; }).map(function (x) { return x.value; });
    if (!ids.length) { removeStatus.textContent = _("Cochez d'abord les élèves à retirer."); return; }
    if (!window.confirm(_("Retirer %(count)s élève(s) de la séance ?", { count: ids.length }))) { return; }
    socket.emit("remove_pupils", { pupil_ids: ids }, function (ack) {
      removeStatus.textContent = ack.ok ? _("%(count)s élève(s) retiré(s).", { count: ack.removed }) : ack.message;
    });
  });
}
