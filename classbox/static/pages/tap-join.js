/* classbox: tap to join (an ES module). A pupil of a class session taps their name and picture,
 * then, when the class has secrets, their two secret pictures in order. classroom-pupil.js sends
 * the join (event "classbox:tap") and reports refusals ("classbox:join-refused"). */
import { _, say } from "../toolkit.js";

var root = document.getElementById("pupil-app");
var box = document.getElementById("tap-join");
var grid = document.getElementById("member-grid");
var pad = document.getElementById("secret-pad");
var progress = document.getElementById("secret-progress");
var error = document.getElementById("join-error");
var chosen = null;
var secret = [];

function showGrid() {
  chosen = null; secret = [];
  if (pad) { pad.hidden = true; }
  if (grid) { grid.hidden = false; }
}

function showPad(member) {
  chosen = member; secret = [];
  grid.hidden = true; pad.hidden = false;
  var title = document.getElementById("secret-title");
  title.textContent = title.dataset.template.replace("%(name)s", member.name);
  say(progress, _("Première image ?"));
  title.focus();
}

function send() {
  var data = { member_id: chosen.id };
  if (secret.length) { data.secret = secret.slice(); }
  say(progress, _("Un instant…"));
  root.dispatchEvent(new CustomEvent("classbox:tap", { detail: data }));
}

if (box && grid) {
  grid.addEventListener("click", function (e) {
    var button = e.target.closest("button.tap-member");
    if (!button) { return; }
    error.textContent = "";
    var member = { id: button.dataset.member, name: button.dataset.name };
    if (pad && box.dataset.secret === "on") { showPad(member); return; }
    chosen = member; send();
  });
}
if (pad) {
  pad.addEventListener("click", function (e) {
    var button = e.target.closest("button.tap-secret");
    if (!button || !chosen || secret.length >= 2) { return; }
    secret.push(button.dataset.picture);
    if (secret.length === 1) { say(progress, _("Deuxième image ?")); return; }
    send();
  });
  document.getElementById("secret-back").addEventListener("click", showGrid);
}
root.addEventListener("classbox:join-refused", function (e) {
  var ack = e.detail;
  if (ack.error === "secret_required" && pad && chosen) { showPad(chosen); return; }
  if (ack.error === "wrong_secret" && pad && chosen) { secret = []; say(progress, _("Première image ?")); return; }
  if (ack.error !== "ask_teacher") { showGrid(); }
});
root.addEventListener("classbox:left", showGrid);
