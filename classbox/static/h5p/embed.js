/* classbox: an H5P exercise in its sandboxed frame, on the resource page and in a class (an ES
   module). The frame has no origin of its own, or one on another site (the box's policy decides,
   docs/security.md): it only posts messages, and only messages from this frame's window are read. An exercise reports many xAPI statements as
   the pupil works (each attempt, each sub-question); like Kolibri's H5P runner, the score is
   debounced: the last top-level score is kept once the exercise has been quiet a moment. */
import { _, el } from "../toolkit.js";

export var SCORE_QUIET_MS = 1500;
/* allow-same-origin only counts on the player's own site: on the box's, the player page's policy
   (sandbox allow-scripts) keeps it opaque whatever the frame allows */
export var SANDBOX = "allow-scripts allow-same-origin";
var SCORED = /\/(answered|completed)$/;

/* The sandboxed iframe playing one H5P resource. */
export function h5pFrame(resourceId, title) {
  return el("iframe", {
    src: "/h5p/play/" + encodeURIComponent(resourceId), title: _("Exercice : %(title)s", { title: title }),
    sandbox: SANDBOX, referrerpolicy: "origin", "class": "h5p-frame", id: "h5p-frame"
  });
}

/* A score worth keeping from one statement: top-level, answered or completed, with numbers. */
export function scoreOf(statement) {
  var result = statement && statement.result, score = result && result.score;
  if (!statement || statement.sub || !SCORED.test(statement.verb || "") || !score) { return null; }
  var raw = Number(score.raw), max = Number(score.max);
  if (!isFinite(raw) || !isFinite(max) || max < 0 || raw < 0 || raw > max) { return null; }
  var found = { score: raw, max: max, completed: /completed$/.test(statement.verb) || result.completion === true };
  if (typeof result.success === "boolean") { found.success = result.success; }
  if (typeof result.response === "string") { found.response = result.response.slice(0, 2000); }
  return found;
}

/* Follow a frame: its height, its Internet notice, its scores (onScore(score), debounced and never
   the same twice in a row). Returns a function that stops following (and sends what waits). */
export function follow(frame, onScore) {
  var timer = null, waiting = null, last = null;
  function send() {
    clearTimeout(timer); timer = null;
    if (!waiting) { return; }
    var key = JSON.stringify(waiting), score = waiting;
    waiting = null;
    if (key !== last) { last = key; onScore(score); }
  }
  function receive(event) {
    if (event.source !== frame.contentWindow || !event.data || event.data.source !== "classbox-h5p") { return; }
    var data = event.data;
    if (data.type === "height" && typeof data.height === "number") {
      frame.style.height = Math.max(200, Math.min(5000, Math.round(data.height) + 8)) + "px";
    } else if (data.type === "xapi" && onScore) {
      var score = scoreOf(data.statement);
      if (!score) { return; }
      /* "completed" right after "answered" often carries no response: keep the answer's */
      if (waiting && score.response === undefined && waiting.response !== undefined) { score.response = waiting.response; }
      waiting = score; clearTimeout(timer); timer = setTimeout(send, SCORE_QUIET_MS);
    }
  }
  function hidden() { if (document.visibilityState === "hidden") { send(); } }
  window.addEventListener("message", receive);
  document.addEventListener("visibilitychange", hidden);
  window.addEventListener("pagehide", send);
  return function stop() {
    send();
    window.removeEventListener("message", receive);
    document.removeEventListener("visibilitychange", hidden);
    window.removeEventListener("pagehide", send);
  };
}

/* The resource page: play, nothing sent anywhere. */
var onPage = document.getElementById("h5p-frame");
if (onPage) { follow(onPage, null); }
