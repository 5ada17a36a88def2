/* classbox: the teacher's live dashboard and the projector view (data-mode="projector"). */
(function () {
  "use strict";
  var root = document.getElementById("teacher-app");
  var projector = root.dataset.mode === "projector";
  var socket = io("/classroom", { transports: ["websocket", "polling"] });
  var state = { pupils: {}, order: [], activities: {}, current: null, submissions: [] };
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function say(text) { $("live-status").textContent = text; }

  socket.on("connect", function () {
    socket.emit("watch", { code: root.dataset.code }, function (ack) {
      if (!ack.ok) { say(ack.message); return; }
      state.pupils = {}; state.order = [];
      ack.pupils.forEach(function (p) { state.pupils[p.id] = p; state.order.push(p.id); });
      ack.activities.forEach(function (a) { state.activities[a.id] = a; });
      state.submissions = ack.submissions; state.current = ack.current;
      if (ack.activities.length) { state.current = ack.activities[ack.activities.length - 1].id; }
      say(ack.session.state === "open" ? _("Séance ouverte.") : _("Séance terminée."));
      draw();
    });
  });
  socket.on("disconnect", function () { say(_("Connexion perdue… reconnexion en cours.")); });
  socket.on("presence", function (d) {
    var p = state.pupils[d.pupil_id];
    if (d.removed) { delete state.pupils[d.pupil_id]; state.order = state.order.filter(function (x) { return x !== d.pupil_id; }); }
    else if (p) { p.online = d.online; }
    else { state.pupils[d.pupil_id] = { id: d.pupil_id, name: d.name, online: d.online }; state.order.push(d.pupil_id); }
    draw();
  });
  socket.on("renamed", function (d) { if (state.pupils[d.pupil_id]) { state.pupils[d.pupil_id].name = d.name; draw(); } });
  socket.on("pushed", function (a) { state.activities[a.id] = a; state.current = a.id; draw(); });
  // one event per group commit: a list of the answers stored together
  socket.on("submission", function (list) { list.forEach(function (s) { state.submissions.push(s); }); draw(); });
  socket.on("closed", function () { say(_("Séance terminée.")); });

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

  function draw() {
    var a = state.current && state.activities[state.current];
    var by = a ? latest(a.id) : {};
    if (projector) {
      $("projector-question").textContent = a && a.type === "quiz" ? a.spec.question : (a && a.spec.text) || "";
      drawBars($("projector-results"), a ? tally(a, by) : [], Object.keys(by).length);
      return;
    }
    var list = $("pupil-list"); list.textContent = "";
    var online = 0;
    state.order.forEach(function (id) {
      var p = state.pupils[id]; if (!p) { return; }
      if (p.online) { online += 1; }
      var li = el("li", { id: "pupil-" + id, "class": p.online ? "online" : "offline" });
      var box = el("input", { type: "checkbox", id: "target-" + id, value: id, "class": "target" });
      li.appendChild(box);
      li.appendChild(el("label", { "for": "target-" + id }, p.name));
      li.appendChild(el("span", { "class": "badge" }, (p.online ? _("connecté") : _("hors ligne")) + (by[id] ? " · " + _("a répondu") : "")));
      var rename = el("button", { type: "button", "class": "small", "data-action": "rename", "data-pupil": id }, _("Renommer"));
      var remove = el("button", { type: "button", "class": "small danger", "data-action": "remove", "data-pupil": id }, _("Retirer"));
      li.appendChild(rename); li.appendChild(remove);
      list.appendChild(li);
    });
    $("pupil-count").textContent = _("%(online)s connecté(s) sur %(total)s", { online: online, total: state.order.length });
    $("current-title").textContent = a ? (a.spec.question || a.spec.title || a.spec.instructions || a.spec.text || a.type) : _("Aucune activité");
    drawBars($("current-results"), a ? tally(a, by) : [], Object.keys(by).length);
    var answers = $("answers"); answers.textContent = "";
    Object.keys(by).forEach(function (pid) {
      var s = by[pid], li = el("li");
      li.appendChild(el("strong", {}, _("%(name)s : ", { name: s.pupil_name })));
      if (s.file) {
        li.appendChild(el("a", { href: "/teacher/handins/" + s.submission_id }, s.file.filename));
      } else {
        li.appendChild(el("span", {}, typeof s.answer === "object" && s.answer !== null && !Array.isArray(s.answer) ? s.answer.text : JSON.stringify(s.answer)));
      }
      answers.appendChild(li);
    });
  }

  if (projector) { return; }

  $("pupil-list").addEventListener("click", function (e) {
    var b = e.target.closest("button"); if (!b) { return; }
    var id = b.dataset.pupil;
    if (b.dataset.action === "rename") {
      var name = window.prompt(_("Nouveau nom pour %(name)s", { name: state.pupils[id].name }));
      if (name) { socket.emit("rename_pupil", { pupil_id: id, name: name }, function (ack) { if (!ack.ok) { say(ack.message); } }); }
    } else if (window.confirm(_("Retirer %(name)s de la séance ?", { name: state.pupils[id].name }))) {
      socket.emit("remove_pupil", { pupil_id: id }, function (ack) { if (!ack.ok) { say(ack.message); } });
    }
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
      socket.emit("close_session", {}, function (ack) { say(ack.ok ? _("Séance terminée.") : ack.message); });
    }
  });
})();
