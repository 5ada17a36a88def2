"""H5P in Chromium: an exercise plays in its sandboxed frame (French strings on a French page) on
the player's own site, whose files the browser keeps for the next open, a pupil plays one pushed to
the class and the teacher sees the score live, a hostile exercise reaches neither the cookies nor
the page around it, and content on the Internet is said unavailable."""

from __future__ import annotations

import json

import pytest

from classbox.library import import_path
from classbox.storage import open_database
from tests.e2e.harness import NetworkLog, new_context, run_axe, serious
from tests.e2e.test_classroom_flow import accessible_everywhere, join_by_code, open_session, push_resource
from tests.helpers import make_config
from tests.library.h5pbuild import content_json, h5p_files, h5p_json, write_h5p

pytestmark = pytest.mark.peer


def import_exercise(box, tmp_path, name: str, files: dict[str, bytes]) -> str:
    """Import an .h5p into the running box; its resource id."""
    config = make_config(box.data_dir)
    pack = import_path(config, write_h5p(tmp_path / f"{name}.h5p", files)).pack
    db = open_database(box.data_dir)
    try:
        return db.execute("SELECT id FROM resource WHERE pack = ?", [pack]).fetchone()[0]
    finally:
        db.conn.close()


def exercise_frame(page):
    """The sandboxed frame the exercise plays in, once the player says it is ready."""
    frame = page.wait_for_selector("iframe#h5p-frame").content_frame()
    frame.wait_for_function("() => document.documentElement.dataset.h5p === 'ready'")
    return frame


def test_an_exercise_plays_in_its_frame_on_the_resource_page(box, contexts, tmp_path):
    rid = import_exercise(box, tmp_path, "capitale", h5p_files())
    page = contexts("phone").new_page()
    page.goto(f"/library/{rid}")
    exercise = exercise_frame(page)
    exercise.get_by_label("Quelle est la capitale de la France ?").fill("paris")
    exercise.get_by_role("button", name="Vérifier").click()
    assert exercise.get_by_role("status").inner_text() == "Bonne réponse !"


def test_a_pupil_plays_a_pushed_exercise_the_teacher_sees_the_score_and_ralph_the_statement(
        box, contexts, report, tmp_path):
    from tests.sync.conftest import secret
    from tests.sync.peers import Ralph
    from tests.sync.test_xapi import drain

    rid = import_exercise(box, tmp_path, "fleuve", h5p_files(h5p_json("Les fleuves de France"),
                                                             content_json("Le plus long fleuve de France ?", "Loire")))
    teacher = contexts("tablet", role="teacher").new_page()
    code = open_session(teacher)
    pupil = contexts("phone").new_page()
    join_by_code(pupil, code, "Inès")
    push_resource(teacher, {"id": rid, "title": "Les fleuves de France"}, "Les fleuves de France")
    exercise = exercise_frame(pupil)
    exercise.get_by_label("Le plus long fleuve de France ?").fill("Loire")
    exercise.get_by_role("button", name="Vérifier").click()
    pupil.wait_for_function("() => document.querySelector('#envoi').dataset.state === 'sent'")
    # The teacher sees the score live, in words.
    teacher.wait_for_function("() => document.querySelectorAll('#answers li').length === 1")
    assert teacher.locator("#answers li .answer").inner_text() == "1 / 1"
    assert teacher.locator("#answers li .verdict").inner_text() == "✓ juste"
    # The exercise said "answered" then "completed" at once: one submission, not two (the session's
    # results, as the teacher exports them).
    results = teacher.request.get(f"/api/sessions/{code}/results").json()
    stored = [s["answer"] for s in results["submissions"] if s["activity_id"] in h5p_activities(results)]
    assert stored == [{"score": 1, "max": 1, "completed": True, "success": True,
                      "response": "Loire"}]
    accessible_everywhere(pupil, report, "pupil-h5p", sizes=("phone",))
    # The outbox delivers the score to a real ralph, the exercise as the statement's object.
    ralph = Ralph(tmp_path / "ralph").start()
    try:
        config = make_config(box.data_dir, **{"sync.xapi.endpoint": ralph.endpoint,
                                              "sync.xapi.username": ralph.username,
                                              "sync.xapi.password_file": secret(tmp_path, "lrs", ralph.password)})
        assert drain(config)["dead"] == 0
        played = [s for s in ralph.stored() if s["object"]["id"].endswith(f"/library/{rid}")]
    finally:
        ralph.stop()
    assert [(s["verb"]["id"].rsplit("/", 1)[1], s["result"]["score"]["raw"], s["result"]["score"]["max"])
            for s in played] == [("completed", 1, 1)]
    assert played[0]["object"]["definition"]["name"] == {"fr-FR": "Les fleuves de France"}


def h5p_activities(results: dict) -> set[str]:
    return {a["id"] for a in results["activities"] if a["type"] == "h5p"}


SPY = b"""
var H5P = H5P || {};
H5P.ClassboxSpy = (function (EventDispatcher) {
  function Spy() { EventDispatcher.call(this); }
  Spy.prototype = Object.create(EventDispatcher.prototype);
  Spy.prototype.attach = function ($container) {
    var root = $container.get ? $container.get(0) : $container;
    var out = document.createElement("pre"); out.id = "spy"; root.appendChild(out);
    var found = {}, pending = 3;
    function attempt(name, how) { try { found[name] = String(how()); } catch (e) { found[name] = "blocked " + e.name; } }
    attempt("cookie", function () { return document.cookie; });
    attempt("toss", function () {  // a cookie of its own, that would replace the box's session
      document.cookie = "classbox_session=stolen; path=/"; document.cookie = "classbox_session=stolen; path=/; domain=127.0.0.1";
      return document.cookie; });
    attempt("parent", function () { return window.parent.document.body.innerHTML.slice(0, 80); });
    attempt("top", function () { return window.top.location.href; });
    attempt("storage", function () { return window.localStorage.getItem("classbox.token"); });
    function done() { pending -= 1; if (!pending) { out.textContent = JSON.stringify(found); } }
    ["/teacher", "/api/library", "/library"].forEach(function (url) {
      fetch(url, { credentials: "include" }).then(function (r) { return r.text(); }).then(
        function (text) { found[url] = text.slice(0, 80); done(); }, function () { found[url] = "blocked"; done(); });
    });
  };
  return Spy;
})(H5P.EventDispatcher);
"""


def spy_files() -> dict[str, bytes]:
    """An .h5p whose content type (H5P.ClassboxSpy, its own library) tries to read what it should not."""
    library = {"title": "Spy", "machineName": "H5P.ClassboxSpy", "majorVersion": 1, "minorVersion": 0,
               "patchVersion": 0, "runnable": 1, "preloadedJs": [{"path": "spy.js"}]}
    meta = h5p_json("Exercice espion", mainLibrary="H5P.ClassboxSpy", preloadedDependencies=[
        {"machineName": "H5P.ClassboxSpy", "majorVersion": 1, "minorVersion": 0}])
    return {"h5p.json": json.dumps(meta).encode(), "content/content.json": b"{}",
            "H5P.ClassboxSpy-1.0/library.json": json.dumps(library).encode(), "H5P.ClassboxSpy-1.0/spy.js": SPY}


def test_a_hostile_exercise_reads_neither_cookies_nor_the_page_nor_the_box(box, browser, signed_in_states, tmp_path):
    files = spy_files()
    rid = import_exercise(box, tmp_path, "espion", files)
    network = NetworkLog(box.url, box.h5p_origin)  # its own log: the policy's refusals are what this test expects
    context = new_context(browser, box.url, "tablet", "fr-FR", network, storage_state=signed_in_states["teacher"])
    page = context.new_page()  # a teacher's device: its session cookie is there
    page.goto(f"/library/{rid}")
    before = context.cookies(box.url)
    assert any(c["name"] == "classbox_session" for c in before)
    frame = exercise_frame(page)
    found = json.loads(frame.wait_for_function("() => (document.getElementById('spy') || {}).textContent").json_value())
    # The exercise plays on the player's site: none of the box's cookies there, and the one it sets
    # stays there (the box's session is the same, the teacher still signed in).
    assert frame.evaluate("() => location.origin") == box.h5p_origin
    assert found["cookie"] == ""
    after = context.cookies(box.url)
    assert sorted(c["name"] for c in after) == sorted(c["name"] for c in before)
    assert [c for c in after if "stolen" in c["value"]] == []
    assert page.goto("/teacher").url.endswith("/teacher")
    assert found["parent"] == "blocked SecurityError" and found["top"] == "blocked SecurityError"
    assert found["storage"] == "null"  # an empty storage in memory: never the box's (the pupil's token)
    assert found["/teacher"] == found["/api/library"] == found["/library"] == "blocked"
    context.close()
    # What stopped the reads is the player's policy (the exercise's own requests, nothing else), and
    # no request left the box.
    assert network.violations and all(v.startswith("CSP violation: connect-src ") and "/spy.js" in v
                                      for v in network.violations), network.violations
    assert network.foreign() == []


def test_opened_on_the_players_site_itself_the_player_stays_opaque(box, browser, tmp_path):
    rid = import_exercise(box, tmp_path, "espion-local", spy_files())
    network = NetworkLog(box.url, box.h5p_origin)  # its own log: the policy's refusals are expected
    context = new_context(browser, box.h5p_origin, "tablet", "fr-FR", network)
    page = context.new_page()
    for path in (f"/library/{rid}", "/login", "/"):  # a device that opened the box by the player's name
        assert page.goto(path).status == 404, path  # no sign-in an exercise could reach there
    page.goto(f"/h5p/play/{rid}")  # the player itself, with no page naming it: no origin
    found = json.loads(page.wait_for_function("() => (document.getElementById('spy') || {}).textContent").json_value())
    assert found["cookie"] == found["toss"] == "blocked SecurityError"
    assert found["/teacher"] == "blocked"
    for _ in range(100):  # the policy's reports reach the log as Playwright events: pumped while it waits
        if network.violations:
            break
        page.wait_for_timeout(50)
    context.close()
    assert network.violations and all(v.startswith("CSP violation: connect-src ") for v in network.violations)
    assert network.foreign() == []


PLAYER_FILES = ("/h5p/player/", "/h5p/libs/", "/h5p/content/")


def test_the_next_open_of_an_exercise_takes_the_players_files_from_the_browsers_cache(box, contexts, tmp_path):
    rid = import_exercise(box, tmp_path, "riviere", h5p_files(h5p_json("Les rivières"),
                                                              content_json("La rivière de Lyon ?", "Saône")))
    context = contexts("phone")
    box.player.seen()
    reached = []
    for _ in range(2):
        page = context.new_page()
        page.goto(f"/library/{rid}")
        exercise = exercise_frame(page)
        exercise.get_by_label("La rivière de Lyon ?").wait_for()
        page.close()
        reached.append([p for p in box.player.seen() if p.startswith(PLAYER_FILES)])
    first, second = reached
    # First open: h5p-standalone, classbox's frame script, the exercise's library and content.
    assert {p.split("/")[2] for p in first} == {"player", "libs", "content"}, first
    # Next open: only the player's page (never cached: it names the current versions) reached the server.
    assert second == [], second


def test_an_exercise_with_a_youtube_video_says_it_is_unavailable_and_asks_nothing_of_the_internet(
        box, contexts, network, report, tmp_path):
    content = content_json("Que montre la vidéo ?", "un volcan")
    content["video"] = {"files": [{"path": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "mime": "video/YouTube"}]}
    rid = import_exercise(box, tmp_path, "video", h5p_files(h5p_json("Les volcans"), content))
    page = contexts("phone").new_page()
    page.goto(f"/library/{rid}")
    player = exercise_frame(page)
    assert player.locator("#h5p-internet").inner_text().startswith("Une partie de cet exercice")
    player.get_by_label("Que montre la vidéo ?").wait_for()  # the rest of the exercise works
    assert network.foreign() == []
    # axe, on the resource page and inside the player's frame
    assert serious(run_axe(page)) == []
    assert serious(run_axe(player)) == []
    report.screenshot(page, "library-h5p", "phone")


def test_a_score_made_while_the_wifi_is_down_waits_on_the_tablet_then_reaches_the_teacher(box, contexts, tmp_path):
    rid = import_exercise(box, tmp_path, "montagne", h5p_files(h5p_json("Les montagnes"),
                                                               content_json("Le plus haut sommet des Alpes ?", "Mont Blanc")))
    teacher = contexts("tablet", role="teacher").new_page()
    code = open_session(teacher)
    pupil_context = contexts("phone")
    pupil = pupil_context.new_page()
    join_by_code(pupil, code, "Malo")
    push_resource(teacher, {"id": rid, "title": "Les montagnes"}, "Les montagnes")
    exercise = exercise_frame(pupil)
    # The Wi-Fi drops after the exercise opened; Malo answers: the score waits on the tablet.
    pupil_context.set_offline(True)
    pupil.wait_for_function("() => document.querySelector('#connection-status').textContent.includes('perdue')")
    exercise.get_by_label("Le plus haut sommet des Alpes ?").fill("mont blanc")
    exercise.get_by_role("button", name="Vérifier").click()
    pupil.wait_for_function("() => document.querySelector('#answer-status').textContent.includes('Hors connexion')")
    queued = pupil.evaluate("async () => (await ClassboxOutbox.pending()).map(r => r.answer)")
    assert queued == [{"score": 1, "max": 1, "completed": True, "success": True, "response": "mont blanc"}]
    # The Wi-Fi comes back: the score goes, once, and the teacher sees it.
    pupil_context.set_offline(False)
    pupil.wait_for_function("async () => (await ClassboxOutbox.pending()).length === 0", polling=200)
    teacher.wait_for_function("() => document.querySelectorAll('#answers li').length === 1")
    assert teacher.locator("#answers li .answer").inner_text() == "1 / 1"
    results = teacher.request.get(f"/api/sessions/{code}/results").json()
    assert len([s for s in results["submissions"] if s["activity_id"] in h5p_activities(results)]) == 1
