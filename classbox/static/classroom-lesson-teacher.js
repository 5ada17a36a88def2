/* classbox: prepared lessons in a session, on the teacher's dashboard (play live step by step, or
   release for self-paced work and follow each pupil) and on the projector (?lesson=<id>: the
   lesson's summary without names). An ES module; the socket is classroom-teacher.js's. */
import { _, el, say } from "./toolkit.js";

var root = document.getElementById("teacher-app");
var socket = window.ClassboxDashboard.socket;
function $(id) { return document.getElementById(id); }
var state = { lesson: null, step: null, release: null, rows: {}, timer: null };

function percent(share) { return share === null ? "—" : Math.round(share * 100) + " %"; }

function drawSummary(container, summary) {
  container.textContent = "";
  var list = el("ol", { "class": "lesson-summary" });
  summary.steps.forEach(function (s) {
    if (!s.graded) { return; }
    list.appendChild(el("li", {}, s.answered ?
      _("Question %(n)s : %(share)s de réponses justes (%(answered)s réponse(s)) – %(label)s",
        { n: s.step + 1, share: percent(s.share), answered: s.answered, label: s.label }) :
      _("Question %(n)s : pas encore de réponse – %(label)s", { n: s.step + 1, label: s.label })));
  });
  container.appendChild(el("h3", {}, _("Bilan : %(title)s", { title: summary.title })));
  container.appendChild(list);
  if (!summary.pupils) { return; }
  var table = el("table", { "class": "lesson-summary-pupils" });
  table.appendChild(el("caption", {}, _("Bonnes réponses par élève")));
  var head = el("tr");
  [_("Élève"), _("Justes")].forEach(function (t) { head.appendChild(el("th", { scope: "col" }, t)); });
  table.appendChild(el("thead")).appendChild(head);
  var body = table.appendChild(el("tbody"));
  summary.pupils.forEach(function (p) {
    var tr = el("tr");
    tr.appendChild(el("th", { scope: "row" }, p.name));
    tr.appendChild(el("td", {}, _("%(correct)s / %(graded)s", p)));
    body.appendChild(tr);
  });
  container.appendChild(table);
}

if (root.dataset.mode === "projector") {
  var wanted = new URLSearchParams(window.location.search);
  var lessonId = parseInt(wanted.get("lesson"), 10);
  if (lessonId) {
    var box = el("section", { "class": "card", id: "projector-lesson", "aria-live": "polite" });
    root.appendChild(box);
    var refresh = function () {
      socket.emit("lesson_summary", { lesson_id: lessonId, release_id: wanted.get("release") || undefined, names: false },
        function (ack) { if (ack.ok) { drawSummary(box, ack.summary); } });
    };
    root.addEventListener("classbox:watched", refresh);
    socket.on("submission", refresh);
    socket.on("pushed", refresh);
  }
} else {
  dashboard();
}

function dashboard() {
  var pick = $("lesson-pick"), status = $("lesson-status");

  function load() {
    fetch("/api/lessons", { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (data) {
      var keep = pick.value;
      pick.querySelectorAll("option[value]:not([value=''])").forEach(function (o) { o.remove(); });
      data.lessons.forEach(function (l) {
        pick.appendChild(el("option", { value: String(l.id) }, _("%(title)s (%(steps)s étapes)", { title: l.title, steps: l.steps })));
      });
      pick.value = keep;
    });
  }

  function showSteps(lesson) {
    var list = $("lesson-steps"); list.textContent = "";
    lesson.steps.forEach(function (s, i) {
      var li = el("li"), text = s.question || s.title || s.instructions || s.text || s.type;
      var b = el("button", { type: "button", "class": "link", "data-step": String(i) }, text);
      if (i === state.step) { li.setAttribute("aria-current", "step"); li.className = "current"; }
      li.appendChild(b);
      if (s.missing) { li.appendChild(el("span", { "class": "error" }, " " + _("(ressource retirée de la bibliothèque)"))); }
      list.appendChild(li);
    });
    $("lesson-live-position").textContent = state.step === null ? "" :
      _("Étape %(n)s / %(total)s en cours", { n: state.step + 1, total: lesson.steps.length });
    $("lesson-prev").disabled = !state.step;
    $("lesson-next").disabled = state.step === null || state.step >= lesson.steps.length - 1;
    var project = $("lesson-project-summary");
    project.href = project.dataset.base + "?lesson=" + lesson.id;
  }

  function fetchLesson(id) {
    return fetch("/api/lessons/" + id, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    });
  }

  function play(step) {
    if (!state.lesson) { return; }
    clearTimeout(state.timer);
    socket.emit("play", { lesson_id: state.lesson.id, step: step }, function (ack) {
      if (!ack.ok) { say(status, ack.message); return; }
      state.step = ack.lesson.step; $("lesson-live").hidden = false;
      say(status, _("Étape %(n)s envoyée.", { n: ack.lesson.step + 1 }));
      showSteps(state.lesson);
      var d = ack.activity.spec.duration_s;
      if (d && $("lesson-auto").checked && state.step < state.lesson.steps.length - 1) {
        state.timer = setTimeout(function () { play(state.step + 1); }, (d + 2) * 1000);  /* after the grace time */
      }
    });
  }

  function drawRelease() {
    var r = state.release;
    $("lesson-selfpaced").hidden = !r;
    if (!r) { return; }
    $("release-title").textContent = _("En autonomie : %(title)s", { title: r.title });
    var body = $("release-progress"); body.textContent = "";
    Object.keys(state.rows).forEach(function (id) {
      var p = state.rows[id], tr = el("tr", { id: "progress-" + id });
      tr.appendChild(el("th", { scope: "row" }, p.name || ""));
      tr.appendChild(el("td", {}, p.step === null || p.step === undefined ? "—" : _("%(n)s / %(total)s", { n: p.step + 1, total: r.steps })));
      tr.appendChild(el("td", {}, _("%(n)s / %(total)s", { n: p.answered, total: p.total })));
      tr.appendChild(el("td", {}, _("%(n)s / %(total)s", { n: p.correct, total: p.graded })));
      tr.appendChild(el("td", {}, p.completed ? _("oui") : _("non")));
      body.appendChild(tr);
    });
  }

  function setRelease(r) {
    state.release = r; state.rows = {};
    if (r) { r.progress.forEach(function (p) { state.rows[p.pupil_id] = p; }); }
    drawRelease();
  }

  pick.addEventListener("change", function () {
    if (!pick.value) { return; }
    fetchLesson(pick.value).then(function (lesson) {
      state.lesson = lesson; state.step = null; $("lesson-live").hidden = false; showSteps(lesson);
    }, function () { say(status, _("Leçon introuvable.")); });
  });
  $("lesson-play").addEventListener("click", function () {
    if (!state.lesson) { say(status, _("Choisissez d'abord une leçon.")); return; }
    play(state.step === null ? 0 : state.step);
  });
  $("lesson-next").addEventListener("click", function () { play(state.step + 1); });
  $("lesson-prev").addEventListener("click", function () { play(state.step - 1); });
  $("lesson-steps").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-step]"); if (b) { play(parseInt(b.dataset.step, 10)); }
  });
  $("lesson-summary-button").addEventListener("click", function () {
    socket.emit("lesson_summary", { lesson_id: state.lesson.id }, function (ack) {
      if (ack.ok) { drawSummary($("lesson-summary"), ack.summary); } else { say(status, ack.message); }
    });
  });
  $("lesson-release").addEventListener("click", function () {
    if (!pick.value) { say(status, _("Choisissez d'abord une leçon.")); return; }
    socket.emit("release", { lesson_id: parseInt(pick.value, 10) }, function (ack) {
      if (!ack.ok) { say(status, ack.message); return; }
      say(status, _("Leçon donnée en autonomie."));
      setRelease(ack.release);
    });
  });
  $("release-stop").addEventListener("click", function () {
    if (!state.release) { return; }
    socket.emit("stop_release", { release_id: state.release.release_id }, function (ack) {
      say(status, ack.ok ? _("Leçon en autonomie arrêtée.") : ack.message);
    });
  });
  socket.on("released", function (r) { setRelease(r); });
  socket.on("release_stopped", function (d) { if (state.release && state.release.release_id === d.release_id) { setRelease(null); } });
  socket.on("lesson_progress", function (list) {  /* one list per group commit, like `submission` */
    list.forEach(function (p) {
      if (!state.release || p.release_id !== state.release.release_id) { return; }
      var row = state.rows[p.pupil_id] || {};
      Object.keys(p).forEach(function (k) { row[k] = p[k]; });
      state.rows[p.pupil_id] = row;
    });
    drawRelease();
  });
  socket.on("presence", function (d) {
    if (state.release && d.name && !state.rows[d.pupil_id]) {
      state.rows[d.pupil_id] = { pupil_id: d.pupil_id, name: d.name, answered: 0, correct: 0,
        total: state.release.total, graded: state.release.graded, completed: false };
      drawRelease();
    }
  });
  root.addEventListener("classbox:watched", function () {
    load();
    socket.emit("lesson_status", {}, function (ack) {
      if (!ack.ok) { return; }
      setRelease(ack.release);
      if (ack.live) {
        fetchLesson(ack.live.id).then(function (lesson) {
          state.lesson = lesson; state.step = ack.live.step; pick.value = String(lesson.id);
          $("lesson-live").hidden = false; showSteps(lesson);
        }, function () { /* the lesson was deleted since */ });
      }
    });
  });
}
