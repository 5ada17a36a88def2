/* classbox: the teacher's live dashboard and the projector view (data-mode="projector"); an ES module. */
import { _, classroomSocket, el, say } from "./toolkit.js";

var root = document.getElementById("teacher-app");
var projector = root.dataset.mode === "projector";
var socket = classroomSocket();
window.ClassboxDashboard = { socket: socket };  /* for classroom-teacher-guard.js */
var state = { pupils: {}, order: [], activities: {}, current: null, submissions: [], pinned: null };
function $(id) { return document.getElementById(id); }
var live = $("live-status");
function selfPaced(a) { return !!(a.spec && a.spec.lesson && a.spec.lesson.release); }

socket.on("connect", watch); socket.on("resync", watch);  /* resync: the workers' Redis is back, re-read */
function watch() {
  socket.emit("watch", { code: root.dataset.code }, function (ack) {
    if (!ack.ok) { say(live, ack.message); return; }
    root.dispatchEvent(new CustomEvent("classbox:watched", { detail: ack }));
    state.pupils = {}; state.order = [];
    ack.pupils.forEach(function (p) { state.pupils[p.id] = p; state.order.push(p.id); });
    var shown = ack.activities.filter(function (a) { return !selfPaced(a); });  /* a release's steps: lesson panel */
    shown.forEach(function (a) { state.activities[a.id] = a; offer(a); });
    state.submissions = ack.submissions; state.current = ack.current;
    if (shown.length) { state.current = shown[shown.length - 1].id; }
    say(live, ack.session.state === "open" ? _("Séance ouverte.") : _("Séance terminée."));
    draw();
  });
}
socket.on("disconnect", function () { say(live, _("Connexion perdue… reconnexion en cours.")); });
socket.on("presence", function (d) {
  var p = state.pupils[d.pupil_id];
  if (d.removed) { delete state.pupils[d.pupil_id]; state.order = state.order.filter(function (x) { return x !== d.pupil_id; }); }
  else if (p) { p.online = d.online; }
  else { state.pupils[d.pupil_id] = { id: d.pupil_id, name: d.name, online: d.online }; state.order.push(d.pupil_id); }
  draw();
});
socket.on("renamed", function (d) { if (state.pupils[d.pupil_id]) { state.pupils[d.pupil_id].name = d.name; draw(); } });
socket.on("pushed", function (a) { state.activities[a.id] = a; state.current = a.id; offer(a); draw(); });

// Projector: the teacher may show any quiz of the session instead of the current activity.
var pick = projector && $("projector-activity");
function offer(a) {
  if (!pick || a.type !== "quiz" || pick.querySelector("option[value='" + a.id + "']")) { return; }
  var n = pick.querySelectorAll("option[value]:not([value=''])").length + 1;
  pick.appendChild(el("option", { value: a.id }, _("Question %(n)s : %(question)s", { n: n, question: a.spec.question })));
  if (state.pinned === a.id) { pick.value = a.id; }
}
if (pick) {
  state.pinned = new URLSearchParams(window.location.search).get("activity");
  pick.addEventListener("change", function () { state.pinned = pick.value || null; draw(); });
}
// one event per group commit: a list of the answers stored together
socket.on("submission", function (list) { list.forEach(function (s) { state.submissions.push(s); }); draw(); });
socket.on("closed", function () { say(live, _("Séance terminée.")); });

function latest(activityId) {
  var by = {};
  state.submissions.forEach(function (s) { if (s.activity_id === activityId) { by[s.pupil_id] = s; } });
  return by;
}
function tally(a, by) {
  var bars = [];
  if (a.type !== "quiz") { return bars; }
  if (a.spec.kind === "single" || a.spec.kind === "multiple") {
    a.spec.choices.forEach(function (c, i) { bars.push({ label: c, count: 0, correct: (a.spec.correct || []).indexOf(i) >= 0 }); });
    Object.keys(by).forEach(function (k) {
      var v = by[k].answer; (Array.isArray(v) ? v : [v]).forEach(function (i) { if (bars[i]) { bars[i].count += 1; } });
    });
  } else {
    var seen = {};
    Object.keys(by).forEach(function (k) {
      var label = String(by[k].answer), key = label.toLowerCase().trim();
      if (!seen[key]) { seen[key] = { label: label, count: 0 }; bars.push(seen[key]); }
      seen[key].count += 1;
    });
    bars.sort(function (x, y) { return y.count - x.count; }); bars = bars.slice(0, 12);
  }
  return bars;
}
function drawBars(container, bars, total) {
  container.textContent = "";
  var top = Math.max.apply(null, bars.map(function (b) { return b.count; }).concat([1]));
  var list = el("ul", { "class": "bars" });
  bars.forEach(function (b) {
    var li = el("li", { "class": b.correct ? "bar correct" : "bar" });
    li.appendChild(el("span", { "class": "bar-label" }, b.label));
    var track = el("span", { "class": "bar-track", role: "img", "aria-label": _("%(count)s réponse(s)", { count: b.count }) });
    var fill = el("span", { "class": "bar-fill" }); fill.style.width = (100 * b.count / top) + "%";
    track.appendChild(fill); li.appendChild(track);
    li.appendChild(el("span", { "class": "bar-count" }, String(b.count)));
    list.appendChild(li);
  });
  container.appendChild(list);
  container.appendChild(el("p", { "class": "muted" }, _("%(count)s réponse(s)", { count: total })));
}

// The pupil list is rebuilt on every event; the row being renamed is kept as it is (focus,
// typed text and its live error region survive), ticked boxes and the focused button too.
function badge(p, by) { return (p.online ? _("connecté") : _("hors ligne")) + (by[p.id] ? " · " + _("a répondu") : ""); }
function pupilRow(p, by, ticked) {
  var li = el("li", { id: "pupil-" + p.id, "class": p.online ? "online" : "offline" });
  var box = el("input", { type: "checkbox", id: "target-" + p.id, value: p.id, "class": "target" });
  box.checked = !!ticked[p.id];
  li.appendChild(box);
  li.appendChild(el("label", { "for": "target-" + p.id }, p.name));
  li.appendChild(el("span", { "class": "badge" }, badge(p, by)));
  if (state.editing && state.editing.id === p.id) { li.dataset.editing = "1"; li.appendChild(renameForm(p)); return li; }
  li.appendChild(el("button", { type: "button", "class": "small", "data-action": "rename", "data-pupil": p.id }, _("Renommer")));
  li.appendChild(el("button", { type: "button", "class": "small danger", "data-action": "remove", "data-pupil": p.id }, _("Retirer")));
  return li;
}
function renameForm(p) {
  var form = el("form", { "class": "rename-form", id: "rename-form-" + p.id, "data-pupil": p.id, novalidate: "" });
  form.appendChild(el("label", { "for": "rename-input-" + p.id }, _("Nouveau nom pour %(name)s", { name: p.name })));
  var input = el("input", { type: "text", id: "rename-input-" + p.id, "class": "rename-input", maxlength: "30",
    autocomplete: "off", spellcheck: "false", "aria-describedby": "rename-error-" + p.id });
  input.value = state.editing.value;
  form.appendChild(input);
  form.appendChild(el("button", { type: "submit", "class": "small", "data-action": "rename-save" }, _("Renommer")));
  form.appendChild(el("button", { type: "button", "class": "small", "data-action": "rename-cancel" }, _("Annuler")));
  form.appendChild(el("p", { id: "rename-error-" + p.id, "class": "error rename-error", "aria-live": "assertive" }, ""));
  return form;
}
function focusKey(node) {
  if (!node || !node.dataset) { return null; }
  if (node.id) { return "#" + node.id; }
  return node.dataset.action && node.dataset.pupil ? "[data-action='" + node.dataset.action + "'][data-pupil='" + node.dataset.pupil + "']" : null;
}
function drawPupils(by) {
  var list = $("pupil-list"), ticked = {};
  if (state.editing && !state.pupils[state.editing.id]) { state.editing = null; }
  var kept = state.editing ? $("pupil-" + state.editing.id) : null;
  if (kept && kept.dataset.editing !== "1") { kept = null; }
  var focused = list.contains(document.activeElement) && !(kept && kept.contains(document.activeElement))
    ? focusKey(document.activeElement) : null;
  list.querySelectorAll("input.target").forEach(function (x) { ticked[x.value] = x.checked; });
  Array.prototype.slice.call(list.children).forEach(function (c) { if (c !== kept) { list.removeChild(c); } });
  var before = kept;
  state.order.forEach(function (id) {
    var p = state.pupils[id]; if (!p) { return; }
    if (kept && id === state.editing.id) {
      kept.className = p.online ? "online" : "offline";
      kept.querySelector("label[for='target-" + id + "']").textContent = p.name;
      kept.querySelector(".badge").textContent = badge(p, by);
      before = null; return;
    }
    var li = pupilRow(p, by, ticked);
    if (before) { list.insertBefore(li, before); } else { list.appendChild(li); }
  });
  var again = focused && list.querySelector(focused);
  if (again) { again.focus(); }
}
function startRename(id) {
  state.editing = { id: id, value: state.pupils[id].name, busy: false };
  draw();
  var input = $("rename-input-" + id); input.focus(); input.select();
}
function stopRename(id) {
  state.editing = null;
  draw();
  var back = document.querySelector("[data-action='rename'][data-pupil='" + id + "']");
  if (back) { back.focus(); }
}
function saveRename(id) {
  var editing = state.editing; if (!editing || editing.id !== id || editing.busy) { return; }
  var input = $("rename-input-" + id);
  editing.busy = true; editing.value = input.value;
  $("rename-error-" + id).textContent = ""; input.removeAttribute("aria-invalid");
  socket.timeout(10000).emit("rename_pupil", { pupil_id: id, name: input.value }, function (err, ack) {
    editing.busy = false;
    if (state.editing !== editing) { return; }
    if (err) { ack = { ok: false, message: _("Pas de réponse de la classbox.") }; }
    if (ack.ok) {
      if (state.pupils[id]) { state.pupils[id].name = ack.name; }
      say(live, _("Élève renommé : %(name)s", { name: ack.name }));
      stopRename(id); return;
    }
    var field = $("rename-input-" + id);
    $("rename-error-" + id).textContent = ack.message;
    field.setAttribute("aria-invalid", "true"); field.focus();
  });
}

function draw() {
  var a = (projector && state.pinned && state.activities[state.pinned]) || (state.current && state.activities[state.current]);
  var by = a ? latest(a.id) : {};
  if (projector) {
    $("projector-question").textContent = a && a.type === "quiz" ? a.spec.question : (a && a.spec.text) || "";
    drawBars($("projector-results"), a ? tally(a, by) : [], Object.keys(by).length);
    return;
  }
  drawPupils(by);
  var online = state.order.filter(function (id) { return state.pupils[id] && state.pupils[id].online; }).length;
  $("pupil-count").textContent = _("%(online)s connecté(s) sur %(total)s", { online: online, total: state.order.length });
  $("current-title").textContent = a ? (a.spec.question || a.spec.title || a.spec.instructions || a.spec.text || a.type) : _("Aucune activité");
  drawBars($("current-results"), a ? tally(a, by) : [], Object.keys(by).length);
  var project = $("project-current"), quiz = !!a && a.type === "quiz";
  project.parentNode.hidden = !quiz;
  if (quiz) { project.href = project.dataset.base + "?activity=" + encodeURIComponent(a.id); }
  var zip = $("handins-zip"), handin = !!a && a.type === "handin";
  zip.parentNode.hidden = !handin;
  if (handin) { zip.href = zip.dataset.base + encodeURIComponent(a.id) + "/handins.zip"; }
  var answers = $("answers"); answers.textContent = "";
  Object.keys(by).forEach(function (pid) {
    var s = by[pid], li = el("li");
    li.appendChild(el("strong", {}, _("%(name)s : ", { name: s.pupil_name })));
    if (s.file) {
      li.appendChild(el("a", { href: "/teacher/handins/" + s.submission_id }, s.file.filename));
    } else {
      li.appendChild(el("span", { "class": "answer" }, answerText(a, s.answer)));
    }
    if (s.correct === true || s.correct === false) {  // said in words, not by colour alone
      li.appendChild(el("span", { "class": s.correct ? "verdict right" : "verdict wrong" },
        s.correct ? _("✓ juste") : _("✗ faux")));
    }
    answers.appendChild(li);
  });
}
// An answer as the teacher wrote the question: the choices' texts, numbers in the page's format.
var numbers = new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: 6 });
function answerText(a, answer) {
  if (answer !== null && typeof answer === "object" && typeof answer.score === "number") {  /* an H5P exercise */
    return _("%(score)s / %(max)s", { score: numbers.format(answer.score), max: numbers.format(answer.max) });
  }
  if (answer !== null && typeof answer === "object" && !Array.isArray(answer)) { return answer.text || ""; }
  var kind = a && a.type === "quiz" ? a.spec.kind : null;
  if (kind === "single" || kind === "multiple") {
    return (Array.isArray(answer) ? answer : [answer]).map(function (i) { return a.spec.choices[i] || String(i); }).join(", ");
  }
  if (typeof answer === "number") { return numbers.format(answer); }
  return String(answer);
}

if (!projector) {  // the dashboard's controls; the projector only shows
  var pupilList = $("pupil-list");
  pupilList.addEventListener("click", function (e) {
    var b = e.target.closest("button"); if (!b) { return; }
    var form = b.closest("form.rename-form");
    if (form) { if (b.dataset.action === "rename-cancel") { stopRename(form.dataset.pupil); } return; }
    var id = b.dataset.pupil;
    if (b.dataset.action === "rename") { startRename(id); }
    else if (window.confirm(_("Retirer %(name)s de la séance ?", { name: state.pupils[id].name }))) {
      socket.emit("remove_pupil", { pupil_id: id }, function (ack) { if (!ack.ok) { say(live, ack.message); } });
    }
  });
  pupilList.addEventListener("submit", function (e) {
    var form = e.target.closest("form.rename-form"); if (!form) { return; }
    e.preventDefault(); saveRename(form.dataset.pupil);
  });
  pupilList.addEventListener("input", function (e) {
    if (state.editing && e.target.classList.contains("rename-input")) { state.editing.value = e.target.value; }
  });
  pupilList.addEventListener("keydown", function (e) {
    var form = e.target.closest && e.target.closest("form.rename-form");
    if (form && e.key === "Escape") { e.preventDefault(); stopRename(form.dataset.pupil); }
  });

  function targets() {
    if (!$("to-selected").checked) { return undefined; }
    return Array.prototype.filter.call(document.querySelectorAll("input.target"), function (x) { return x.checked; })
      .map(function (x) { return x.value; });
  }
  function push(payload) {
    var to = targets(); if (to) { payload.to = to; }
    socket.emit("push", payload, function (ack) { $("push-status").textContent = ack.ok ? _("Envoyé.") : ack.message; });
  }
  function val(id) { return $(id).value.trim(); }
  document.querySelectorAll("form[data-push]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var type = form.dataset.push, p = { type: type };
      if (type === "message") { p.text = val("message-text"); }
      if (type === "pause") { p.text = val("pause-text") || undefined; }
      if (type === "resource") { p.title = val("resource-title"); p.resource_id = val("resource-id") || undefined; }
      if (type === "resource" && $("resource-id").dataset.kind === "h5p") { p.type = "h5p"; }  /* scored by the pupils' devices */
      if (type === "handin") {
        p.instructions = val("handin-instructions");
        p.accept = Array.prototype.filter.call(form.querySelectorAll("input[name=accept]"), function (x) { return x.checked; }).map(function (x) { return x.value; });
      }
      if (type === "quiz") {
        p.kind = $("quiz-kind").value; p.question = val("quiz-question");
        var lines = $("quiz-choices").value.split("\n").map(function (x) { return x.trim(); }).filter(Boolean);
        var correct = val("quiz-correct");
        if (p.kind === "single" || p.kind === "multiple") {
          p.choices = lines;
          if (correct) {
            var idx = correct.split(",").map(function (x) { return parseInt(x, 10) - 1; });
            p.correct = p.kind === "single" ? idx[0] : idx;
          }
        } else if (correct) { p.correct = p.kind === "number" ? correct : correct.split("|"); }
        var d = parseInt(val("quiz-duration"), 10); if (d) { p.duration_s = d; }
      }
      push(p);
    });
  });
  $("close-session").addEventListener("click", function () {
    if (window.confirm(_("Terminer la séance ? Les élèves ne pourront plus répondre."))) {
      socket.emit("close_session", {}, function (ack) { say(live, ack.ok ? _("Séance terminée.") : ack.message); });
    }
  });
}
