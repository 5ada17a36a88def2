"""A takeover's real outcome on every teacher screen, in real Chromium: refused, allowed, or the device gone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.harness import contrast_problems
from tests.helpers import wait_until

pytestmark = pytest.mark.peer

REQUEST = "#takeover-requests li:has-text('{name}')"


def open_class_session(box, page, title: str, names: list[str]) -> str:
    """A class of `names` made for the box's teacher, and a session of it opened on `page`; its code."""
    from classbox.auth.users import find_user
    from classbox.classes import store as classes
    from classbox.storage import open_database

    db = open_database(box.data_dir)
    try:
        owner = find_user(db, box.teacher[0])["id"]
        klass = classes.create_class(db, owner, title, ["CE2"])
        classes.add_members(db, owner, klass["id"], [{"name": name} for name in names])
    finally:
        db.conn.close()
    page.goto("/teacher")
    page.wait_for_selector("#session-class-line:not([hidden])")
    page.select_option("#session-class", label=title)
    page.click("#open-session")
    page.wait_for_url(re.compile(r"/teacher/sessions/[A-Z0-9]{6}$"))
    return page.inner_text("#join-code").strip()


def ask_takeover(contexts, code: str, name: str):
    """`name` is on a tablet; a phone taps the same name: the teacher is asked. The phone's page."""
    phone = contexts("phone").new_page()
    phone.goto(f"/join/{code}")
    phone.click(f"button.tap-member[data-name='{name}']")
    phone.wait_for_function("() => document.querySelector('#join-error').textContent.includes('enseignant')")
    return phone


def outcome_of(page, name: str) -> str:
    """The status line of `name`'s request once its buttons are gone (the request is over)."""
    item = page.locator(REQUEST.format(name=name))
    item.locator("button.close-takeover").wait_for()
    assert item.locator("button.allow-takeover, button.refuse-takeover").count() == 0
    return item.locator("[role=status]").inner_text()


def test_every_teacher_screen_says_what_became_of_a_takeover(contexts, box):
    first = contexts("tablet", role="teacher").new_page()
    code = open_class_session(box, first, "CE2 (issues)", ["Jade", "Malo"])
    second = contexts("tablet", role="teacher").new_page()  # the projector or a second tablet of the teacher
    second.goto(first.url)
    second.wait_for_selector("#join-code")
    tablet = contexts("tablet").new_page()
    tablet.goto(f"/join/{code}")
    tablet.click("button.tap-member[data-name='Jade']")
    tablet.wait_for_selector("#join-panel", state="hidden")

    # refused on the first screen: both say so, the phone is told
    phone = ask_takeover(contexts, code, "Jade")
    for screen in (first, second):
        screen.wait_for_selector(REQUEST.format(name="Jade") + " button.refuse-takeover")
    first.click("#takeover-requests button.refuse-takeover")
    assert [outcome_of(screen, "Jade") for screen in (first, second)] == [
        "Demande de Jade refusée : son nouvel appareil le sait."] * 2
    phone.wait_for_function("() => document.querySelector('#join-error').textContent.includes('refusé')")
    for screen in (first, second):
        screen.click(REQUEST.format(name="Jade") + " button.close-takeover")
        screen.wait_for_selector("#takeover-requests", state="hidden")
    phone.close()

    # the asking phone leaves before the answer: allowing it changes nothing, and both screens say so
    phone = ask_takeover(contexts, code, "Jade")
    second.wait_for_selector(REQUEST.format(name="Jade") + " button.allow-takeover")
    phone.close()
    second.click("#takeover-requests button.allow-takeover")
    gone = "L'appareil qui demandait pour Jade s'est déconnecté avant votre réponse : rien n'a changé."
    assert [outcome_of(screen, "Jade") for screen in (first, second)] == [gone] * 2
    assert second.evaluate("() => document.activeElement.className") == "close-takeover"
    assert contrast_problems(second, "#takeover-requests li.takeover-done") == []
    assert tablet.inner_text("#pupil-name-shown") == "Jade" and not tablet.is_visible("#member-grid")
    for screen in (first, second):
        screen.click(REQUEST.format(name="Jade") + " button.close-takeover")

    # allowed in English: the new phone is Jade, the English screen says so in English
    english = contexts("tablet", language="en-GB", role="teacher").new_page()
    english.goto(first.url)
    english.wait_for_selector("#join-code")
    phone = ask_takeover(contexts, code, "Jade")
    english.wait_for_selector(REQUEST.format(name="Jade") + " button.allow-takeover")
    first.click(REQUEST.format(name="Jade") + " button.allow-takeover")
    phone.wait_for_selector("#join-panel", state="hidden")
    assert outcome_of(first, "Jade") == "Jade est entré(e) sur le nouvel appareil ; l'autre appareil est sorti."
    assert outcome_of(english, "Jade") == "Jade joined on the new device; the other device is out."


def chromium_worker(server, workers) -> int:
    """The gunicorn worker holding the browser's one connection left (its websocket; keep-alives close in 5 s)."""
    import os

    import psutil

    port = int(server.url.rsplit(":", 1)[1])
    ours = {c.laddr.port for c in psutil.Process(os.getpid()).net_connections("tcp")}

    def holders():
        held = [w.pid for w in workers for c in w.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED
                and c.laddr.port == port and c.raddr and c.raddr.port not in ours]
        return held[0] if len(held) == 1 else None
    return wait_until(holders, timeout=30, what="the browser's websocket alone on one worker")


@pytest.mark.slow
def test_a_takeover_answer_to_retry_or_with_no_reply_yet_says_so_then_what_happened(tmp_path, browser, network):
    """Two real workers and Redis: the asking device's worker stalled, then resubscribing; the teacher is told each,
    and an answer given again once that worker listens again lets the device in."""
    import os
    import signal

    import redis

    from classbox.auth.users import add_user
    from classbox.web.datadir import prepare_data_dir
    from tests.e2e.harness import login, new_context
    from tests.helpers import make_config
    from tests.runtime.test_workers_redis import place
    from tests.runtime.test_workers_shared import box as web_box
    from tests.runtime.test_workers_takeover import make_class, subscribed_again

    data_dir = tmp_path / "data"
    db = prepare_data_dir(make_config(data_dir))
    add_user(db, "mme.martin", "teacher", "correct-horse-1")
    db.conn.close()
    class_id, (lea, _) = make_class(data_dir)
    with web_box(tmp_path, data_dir) as (server, redis_server, workers, teacher, _, _):
        redis_url = redis_server.url
        code = teacher.call("open_session", {"title": "Appel", "class_id": class_id})["code"]
        network.also.add(urlsplit(server.url).netloc)
        context = new_context(browser, server.url, "tablet", "fr-FR", network)
        try:
            page = context.new_page()
            login(page, ("mme.martin", "correct-horse-1"))
            page.goto(f"/teacher/sessions/{code}")
            page.wait_for_selector("#join-code")
            near = chromium_worker(server, workers)
            far = next(w.pid for w in workers if w.pid != near)
            (lea_old,) = place(server.url, workers, {near: 1, far: 0})
            assert lea_old.call("join", {"code": code, "member_id": lea["id"]})["ok"]
            (lea_new,) = place(server.url, workers, {near: 0, far: 1})
            assert lea_new.call("join", {"code": code, "member_id": lea["id"]})["error"] == "ask_teacher"
            page.wait_for_selector(REQUEST.format(name="Léa") + " button.allow-takeover")
            os.kill(far, signal.SIGSTOP)  # the asking device's worker stalls (a long class batch, a swapping Pi)
            try:
                page.click("#takeover-requests button.allow-takeover")
                page.wait_for_function("() => document.querySelector('#takeover-requests [role=status]')"
                                       ".textContent.includes(\"n'a pas encore répondu\")")
                assert page.locator("#takeover-requests button.allow-takeover").is_disabled()
            finally:
                os.kill(far, signal.SIGCONT)
            assert outcome_of(page, "Léa") == "Léa est entré(e) sur le nouvel appareil ; l'autre appareil est sorti."
            assert lea_new.wait_for("joined")["name"] == "Léa"
            page.click(REQUEST.format(name="Léa") + " button.close-takeover")
            # Léa on a third device of that worker, while it is between two subscriptions (a Redis blip)
            (lea_third,) = place(server.url, workers, {near: 0, far: 1})
            assert lea_third.call("join", {"code": code, "member_id": lea["id"]})["error"] == "ask_teacher"
            page.wait_for_selector(REQUEST.format(name="Léa") + " button.allow-takeover")
            os.kill(far, signal.SIGSTOP)  # stalled, its subscriptions lost: not yet back
            try:
                with redis.Redis.from_url(redis_url) as client:
                    before = {c["id"] for c in client.client_list(_type="pubsub")}
                    client.client_kill_filter(_type="pubsub", skipme=True)
                    wait_until(lambda: client.pubsub_channels(f"classbox:bus:{far}-*") == [], what="far unsubscribed")
                page.click("#takeover-requests button.allow-takeover")
                page.wait_for_function("() => document.querySelector('#takeover-requests [role=status]')"
                                       ".textContent.includes('réessayez')")
                assert page.locator("#takeover-requests button.allow-takeover").is_enabled()
            finally:
                os.kill(far, signal.SIGCONT)
            assert page.locator(REQUEST.format(name="Léa")).count() == 1  # still listed: answered again later
            with redis.Redis.from_url(redis_url) as client:
                subscribed_again(client, before)
            page.click("#takeover-requests button.allow-takeover")
            assert outcome_of(page, "Léa") == "Léa est entré(e) sur le nouvel appareil ; l'autre appareil est sorti."
            assert lea_third.wait_for("joined")["name"] == "Léa"
        finally:
            context.close()
