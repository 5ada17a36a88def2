/* classbox: the pupil page (an ES module). Join with a first name (or a tap on one's name in a class
   session), then show whatever the teacher pushes. */
import { submit } from "./classroom-submit.js";
import { follow, h5pFrame } from "./h5p/embed.js";
import { pwa } from "./pwa/register.js";
import { lesson } from "./pupil/lesson.js";
import { outbox } from "./pupil/offline-queue.js";
import { _, classroomSocket, el, say } from "./toolkit.js";

var root = document.getElementById("pupil-app");
var code = root.dataset.code;
var tokenKey = "classbox.token." + code;
var panel = document.getElementById("activity");
var status = document.getElementById("connection-status");
var joinPanel = document.getElementById("join-panel");
var joinError = document.getElementById("join-error");
var socket = classroomSocket();
var me = { token: localStorage.getItem(tokenKey), activity: null };
var timer = null;
var stopH5P = null;  /* the H5P exercise on screen: sends its last score when it goes */
lesson.attach(socket);


function join(name, tapped) {
  var data = me.token ? { code: code, token: me.token } : Object.assign({ code: code }, tapped || { name: name });
  socket.emit("join", data, function (ack) {
    if (!ack || !ack.ok) {
      if (me.token && ack && (ack.error === "bad_token" || ack.error === "removed")) {
        localStorage.removeItem(tokenKey); me.token = null;
      }
      joinPanel.hidden = false;
      joinError.textContent = ack ? ack.message : _("Pas de réponse de la classbox.");
      root.dispatchEvent(new CustomEvent("classbox:join-refused", { detail: ack || {} }));
      return;
    }
    joined(ack);
  });
}

function joined(ack) {
  me.token = ack.token; localStorage.setItem(tokenKey, ack.token);
  joinPanel.hidden = true; document.getElementById("who").hidden = false;
  document.getElementById("pupil-name-shown").textContent = ack.name;
  say(status, _("Connecté à « %(title)s ».", { title: ack.session.title }));
  render(ack.activity);
  submit.flush(socket);
  lesson.refresh();
}

/* tap to join (pages/tap-join.js): a member's tap, the teacher's answer when another device was
   that member, and "Changer d'élève" on a shared tablet */
root.addEventListener("classbox:tap", function (e) { joinError.textContent = ""; join(null, e.detail); });
socket.on("joined", joined);
socket.on("join_refused", function (d) { joinError.textContent = d.message; });
function forget(message) {
  localStorage.removeItem(tokenKey); me.token = null;
  render(null); joinPanel.hidden = false; document.getElementById("who").hidden = true;
  root.dispatchEvent(new CustomEvent("classbox:left"));
  if (message) { joinError.textContent = message; }
}
socket.on("replaced", function (d) {
  me.removed = true; forget(d.message);
  socket.once("disconnect", function () { me.removed = false; socket.connect(); });  /* the box closes this one */
});
var switcher = document.getElementById("switch-pupil");
if (switcher) {
  switcher.addEventListener("click", function () { forget(); socket.disconnect(); socket.connect(); });
}

var joinForm = document.getElementById("join-form");
if (joinForm) {
  joinForm.addEventListener("submit", function (e) {
    e.preventDefault();
    joinError.textContent = "";
    join(document.getElementById("pupil-name").value);
  });
}
socket.on("connect", function () { say(status, _("Connecté.")); if (me.token) { join(); } });
socket.on("disconnect", function () {
  if (!me.removed) { say(status, _("Connexion perdue… reconnexion en cours.")); }  /* removed: the box closed it */
});
socket.on("activity", function (a) {  /* sent again after a Redis outage: the one shown stays as it is */
  if (a && me.activity && a.id === me.activity.id) { return; }
  render(a);
});
socket.on("renamed", function (d) { document.getElementById("pupil-name-shown").textContent = d.name; });
socket.on("closed", function () {
  localStorage.removeItem(tokenKey);
  render(null); say(status, _("La séance est terminée. Merci !"));
});
socket.on("removed", function () {
  localStorage.removeItem(tokenKey); me.token = null; me.removed = true;
  render(null); say(status, _("L'enseignant vous a retiré de la séance."));
});

function feedback(ack, node) {
  node.textContent = ack.ok ? _("Réponse envoyée ✔") :
    (ack.error === "offline" ? _("Hors connexion : la réponse partira dès le retour du Wi-Fi.") : ack.message);
  /* an answer kept offline says "envoyée" once the outbox delivers it on reconnect */
  if (!ack.ok && ack.queued) {
    var off = outbox.on(function (d) {
      if (d.submission_id !== ack.submission_id || (d.state !== "sent" && d.state !== "rejected")) { return; }
      node.textContent = d.state === "sent" ? _("Réponse envoyée ✔") : _("Réponse refusée par la classbox.");
      off();
    });
  }
}
/* the "Envoyé" / "En attente du Wi-Fi" line, and the files of the activity on screen kept on the
   device by the service worker */
if (document.getElementById("envoi")) { outbox.bindStatus(document.getElementById("envoi")); }
function keepFiles(activity) {
  if (!activity) { return; }
  var urls = [activity.url, activity.blob_url].filter(function (u) { return typeof u === "string" && u.charAt(0) === "/"; });
  pwa.cacheActivity(urls);
}

function render(activity) {
  if (stopH5P) { stopH5P(); stopH5P = null; }
  me.activity = activity;
  keepFiles(activity);
  if (timer) { clearInterval(timer); timer = null; }
  panel.textContent = "";
  document.body.classList.toggle("paused", !!activity && activity.type === "pause");
  if (!activity) { panel.appendChild(el("p", { "class": "muted" }, _("En attente de l'enseignant…"))); return; }
  var out = el("p", { id: "answer-status", role: "status", "aria-live": "polite" });
  if (activity.lesson) {  /* a step of a lesson the teacher plays live */
    panel.appendChild(el("p", { id: "lesson-live-step", "class": "muted" },
      _("Question %(n)s / %(total)s", { n: activity.lesson.step + 1, total: activity.lesson.steps })));
  }
  if (activity.type === "pause") {
    panel.appendChild(el("h2", { id: "pause-text", "class": "pause" }, activity.text));
  } else if (activity.type === "message") {
    panel.appendChild(el("h2", {}, _("Message")));
    panel.appendChild(el("p", { id: "message-text", "class": "message" }, activity.text));
  } else if (activity.type === "resource") {
    panel.appendChild(el("h2", {}, activity.title));
    var a = el("a", { href: activity.url, "class": "button", id: "open-resource" }, _("Ouvrir la ressource"));
    panel.appendChild(a);
  } else if (activity.type === "h5p") {
    panel.appendChild(el("h2", {}, activity.title));
    var frame = panel.appendChild(h5pFrame(activity.resource_id, activity.title));
    stopH5P = follow(frame, function (score) {
      out.textContent = _("Envoi…");
      submit.send(socket, activity.id, score).then(function (ack) { feedback(ack, out); });
    });
  } else if (activity.type === "quiz") {
    renderQuiz(activity, out);
  } else if (activity.type === "handin") {
    renderHandin(activity, out);
  }
  panel.appendChild(out);
  var heading = panel.querySelector("h2, legend");
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
}

function renderQuiz(q, out) {
  var form = el("form", { id: "quiz-form" });
  var fieldset = el("fieldset"); fieldset.appendChild(el("legend", {}, q.question));
  if (q.kind === "single" || q.kind === "multiple") {
    q.choices.forEach(function (c, i) {
      var id = "choice-" + i;
      var p = el("p", { "class": "choice" });
      p.appendChild(el("input", { type: q.kind === "single" ? "radio" : "checkbox", name: "choice", id: id, value: i }));
      p.appendChild(el("label", { "for": id }, c));
      fieldset.appendChild(p);
    });
  } else {
    fieldset.appendChild(el("label", { "for": "quiz-answer" }, q.kind === "number" ? _("Ton nombre") : _("Ta réponse")));
    fieldset.appendChild(el("input", q.kind === "number" ? { id: "quiz-answer", inputmode: "decimal", required: "" } :
      { id: "quiz-answer", maxlength: "500", required: "" }));
  }
  form.appendChild(fieldset);
  if (q.remaining_s !== undefined) {
    var left = q.remaining_s, clock = el("p", { id: "countdown", "aria-live": "off" }, left + " s");
    form.appendChild(clock);
    timer = setInterval(function () {
      left = Math.max(0, Math.round(left - 1)); clock.textContent = left + " s";
      if (left <= 0) { clearInterval(timer); form.querySelector("button").disabled = true; out.textContent = _("Temps écoulé."); }
    }, 1000);
  }
  form.appendChild(el("button", { type: "submit", id: "send-answer" }, _("Envoyer")));
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var answer;
    if (q.kind === "single" || q.kind === "multiple") {
      var picked = Array.prototype.filter.call(form.querySelectorAll("input[name=choice]"), function (x) { return x.checked; })
        .map(function (x) { return parseInt(x.value, 10); });
      if (!picked.length) { out.textContent = _("Choisis une réponse."); return; }
      answer = q.kind === "single" ? picked[0] : picked;
    } else { answer = form.querySelector("#quiz-answer").value; }
    out.textContent = _("Envoi…");
    submit.send(socket, q.id, answer).then(function (ack) { feedback(ack, out); });
  });
  panel.appendChild(form);
}

function renderHandin(h, out) {
  panel.appendChild(el("h2", {}, _("Rendre un travail")));
  panel.appendChild(el("p", { id: "handin-instructions" }, h.instructions));
  if (h.accept.indexOf("text") >= 0) {
    var form = el("form", { id: "handin-text-form" });
    form.appendChild(el("label", { "for": "handin-text" }, _("Ton texte")));
    form.appendChild(el("textarea", { id: "handin-text", rows: "6", required: "" }));
    form.appendChild(el("button", { type: "submit", id: "send-text" }, _("Rendre le texte")));
    form.addEventListener("submit", function (e) {
      e.preventDefault(); out.textContent = _("Envoi…");
      submit.send(socket, h.id, { text: form.querySelector("textarea").value }).then(function (a) { feedback(a, out); });
    });
    panel.appendChild(form);
  }
  [["photo", _("Prendre une photo"), "image/jpeg,image/png,image/webp"], ["file", _("Choisir un fichier"), ""]].forEach(function (k) {
    if (h.accept.indexOf(k[0]) < 0) { return; }
    var form = el("form", { id: "handin-" + k[0] + "-form" });
    var attrs = { id: "handin-" + k[0], type: "file", required: "" };
    if (k[2]) { attrs.accept = k[2]; attrs.capture = "environment"; }
    form.appendChild(el("label", { "for": attrs.id }, _("%(what)s (%(size)s Mo au plus)", { what: k[1], size: root.dataset.maxMb })));
    form.appendChild(el("input", attrs));
    form.appendChild(el("button", { type: "submit", id: "send-" + k[0] }, _("Envoyer")));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var file = form.querySelector("input").files[0];
      if (!file) { return; }
      out.textContent = _("Envoi…");
      submit.sendFile(socket, me.token, h.id, k[0], file).then(function (a) { feedback(a, out); });
    });
    panel.appendChild(form);
  });
}
