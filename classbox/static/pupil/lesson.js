/* classbox pupil page: a lesson released for self-paced work (an ES module).
 *   lesson.attach(socket)   listen for `release` / `release_stopped`
 *   lesson.refresh()        ask the box for the open release and this pupil's results (after each join)
 * The steps arrive without their answers; a step's feedback and right answer come in the ack of
 * this pupil's own answer (`lesson_answer`, through the device's outbox like every answer). */
import { submit } from "../classroom-submit.js";
import { outbox } from "./offline-queue.js";
import { _, el } from "../toolkit.js";

var socket = null;
var section = document.getElementById("lesson");
var state = { release: null, at: 0, results: {} };

function say(text) { document.getElementById("lesson-status").textContent = text; }

function show(release) {
  var same = !!(state.release && release && state.release.release_id === release.release_id);
  state.release = release;
  state.results = (release && release.results) || {};
  if (!release) { section.hidden = true; return; }
  section.hidden = false;
  document.getElementById("lesson-nav").hidden = false;
  document.getElementById("lesson-name").textContent = release.title;
  if (same) { draw(); return; }  /* back from a Wi-Fi drop: the same step, its result if it came */
  var first = release.steps.findIndex(function (s) { return answerable(s) && !state.results[s.id]; });
  go(first < 0 ? 0 : first);
}

function answerable(step) { return step.type === "quiz" || step.type === "handin"; }

function go(index) {
  var release = state.release; if (!release) { return; }
  state.at = Math.max(0, Math.min(index, release.steps.length - 1));
  socket.emit("lesson_at", { release_id: release.release_id, step: state.at }, function () { /* a hint for the dashboard */ });
  draw();
}

function draw() {
  var release = state.release, step = release.steps[state.at], body = document.getElementById("lesson-step");
  body.textContent = "";
  document.getElementById("lesson-position").textContent =
    _("Question %(n)s / %(total)s", { n: state.at + 1, total: release.steps.length });
  document.getElementById("lesson-prev").disabled = state.at === 0;
  document.getElementById("lesson-next").disabled = state.at === release.steps.length - 1;
  var heading = el("h3", { id: "lesson-step-title", tabindex: "-1" }, step.question || step.title || step.instructions ||
    (step.type === "pause" ? _("Pause") : _("Message")));
  body.appendChild(heading);
  if (step.missing) {
    body.appendChild(el("p", { "class": "error" }, _("Cette ressource a été retirée de la bibliothèque.")));
  } else if (step.type === "message" || step.type === "pause") {
    body.appendChild(el("p", { "class": "message" }, step.text));
  } else if (step.type === "resource") {
    body.appendChild(el("a", { href: step.url, "class": "button" }, _("Ouvrir la ressource")));
  } else if (state.results[step.id]) {
    body.appendChild(result(state.results[step.id], step));
  } else {
    body.appendChild(form(step));
  }
  body.appendChild(el("p", { id: "lesson-answer-status", role: "status" }));
  if (done()) { say(_("Leçon terminée : %(correct)s bonne(s) réponse(s) sur %(graded)s.", score())); }
  heading.focus();
}

function done() {
  return state.release.steps.every(function (s) { return !answerable(s) || state.results[s.id]; });
}
function score() {
  var ids = Object.keys(state.results), graded = ids.filter(function (k) { return state.results[k].correct !== null; });
  return { correct: graded.filter(function (k) { return state.results[k].correct; }).length, graded: graded.length };
}

function form(step) {
  var f = el("form", { id: "lesson-form" }), fields = el("fieldset");
  fields.appendChild(el("legend", {}, step.type === "handin" ? _("Ton texte") : _("Ta réponse")));
  if (step.kind === "single" || step.kind === "multiple") {
    step.choices.forEach(function (c, i) {
      var p = el("p", { "class": "choice" });
      p.appendChild(el("input", { type: step.kind === "single" ? "radio" : "checkbox", name: "lesson-choice", id: "lesson-choice-" + i, value: i }));
      p.appendChild(el("label", { "for": "lesson-choice-" + i }, c));
      fields.appendChild(p);
    });
  } else if (step.type === "handin") {
    fields.appendChild(el("label", { "for": "lesson-text" }, step.instructions));
    fields.appendChild(el("textarea", { id: "lesson-text", rows: "5", required: "" }));
  } else {
    fields.appendChild(el("label", { "for": "lesson-text" }, step.kind === "number" ? _("Ton nombre") : _("Ta réponse")));
    fields.appendChild(el("input", step.kind === "number" ? { id: "lesson-text", inputmode: "decimal", required: "" }
      : { id: "lesson-text", maxlength: "500", required: "" }));
  }
  f.appendChild(fields);
  f.appendChild(el("button", { type: "submit", id: "lesson-send" }, _("Envoyer")));
  f.addEventListener("submit", function (e) {
    e.preventDefault();
    var answer, out = document.getElementById("lesson-answer-status");
    if (step.kind === "single" || step.kind === "multiple") {
      var picked = Array.prototype.filter.call(f.querySelectorAll("input[name=lesson-choice]"), function (x) { return x.checked; })
        .map(function (x) { return parseInt(x.value, 10); });
      if (!picked.length) { out.textContent = _("Choisis une réponse."); return; }
      answer = step.kind === "single" ? picked[0] : picked;
    } else {
      answer = f.querySelector("#lesson-text").value;
      if (step.type === "handin") { answer = { text: answer }; }
    }
    f.querySelector("button").disabled = true;
    out.textContent = _("Envoi…");
    submit.send(socket, step.id, answer, "lesson_answer").then(function (ack) {
      if (ack.ok && ack.result) { state.results[step.id] = ack.result; draw(); return; }
      f.querySelector("button").disabled = !!ack.queued;
      out.textContent = ack.error === "offline" ? _("Hors connexion : la réponse partira dès le retour du Wi-Fi.") : ack.message;
      if (ack.queued) {  /* kept on the device: once the box has it, its result comes with the lesson's state */
        var off = outbox.on(function (d) {
          if (d.submission_id !== ack.submission_id || (d.state !== "sent" && d.state !== "rejected")) { return; }
          off();
          if (d.state === "sent") { lesson.refresh(); } else { out.textContent = _("Réponse refusée par la classbox."); }
        });
      }
    });
  });
  return f;
}

function solutionText(step, solution) {
  if (solution === null || solution === undefined) { return null; }
  if (step.choices) {
    return (Array.isArray(solution) ? solution : [solution]).map(function (i) { return step.choices[i]; }).join(", ");
  }
  if (Array.isArray(solution)) { return solution.join(" / "); }
  if (solution.min !== undefined) { return solution.min + " … " + solution.max; }
  return solution.tolerance ? solution.correct + " ± " + solution.tolerance : String(solution.correct);
}

function result(r, step) {
  var box = el("div", { "class": "lesson-result" });
  if (r.correct === true || r.correct === false) {
    box.appendChild(el("p", { "class": r.correct ? "verdict right" : "verdict wrong" }, r.correct ? _("✓ Juste !") : _("✗ Pas tout à fait.")));
  } else {
    box.appendChild(el("p", {}, _("Réponse envoyée ✔")));
  }
  [r.feedback, r.general_feedback].forEach(function (t) { if (t) { box.appendChild(el("p", { "class": "feedback" }, t)); } });
  var right = solutionText(step, r.solution);
  if (right && r.correct === false) { box.appendChild(el("p", {}, _("Bonne réponse : %(answer)s", { answer: right }))); }
  return box;
}

export var lesson = {
  attach: function (s) {
    socket = s;
    if (!section) { return; }
    document.getElementById("lesson-prev").addEventListener("click", function () { go(state.at - 1); });
    document.getElementById("lesson-next").addEventListener("click", function () { go(state.at + 1); });
    socket.on("release", function (release) { say(""); show(release); });
    socket.on("release_stopped", function (d) {
      if (!state.release || state.release.release_id !== d.release_id) { return; }
      state.release = null;
      document.getElementById("lesson-step").textContent = "";
      document.getElementById("lesson-position").textContent = "";
      document.getElementById("lesson-nav").hidden = true;
      say(_("L'enseignant a arrêté la leçon."));
    });
  },
  refresh: function () {
    if (!section) { return; }
    socket.emit("lesson_state", {}, function (ack) { if (ack && ack.ok) { show(ack.release); } });
  }
};
