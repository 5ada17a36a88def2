"""Wi-Fi drops: the service worker keeps the pupil shell; answers wait in IndexedDB, sent once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peer

QUEUE = "/static/pupil/offline-queue.js"


def controlled_page(context, path="/"):
    """A page of `path` once the service worker controls it."""
    page = context.new_page()
    page.goto(path)
    page.wait_for_function("() => window.ClassboxPWA && window.ClassboxPWA.ready")
    page.evaluate("() => window.ClassboxPWA.ready")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    return page


def test_service_worker_serves_the_pupil_shell_without_wifi(contexts):
    context = contexts("phone")
    page = controlled_page(context)
    context.set_offline(True)
    page.reload()
    assert "Rejoindre la classe" in page.inner_text("main")
    assert page.evaluate("() => typeof window.ClassboxPWA") == "object", "the shell's scripts came from the cache"
    assert page.evaluate("async () => (await fetch('/static/pupil/offline-queue.js')).ok")
    context.set_offline(False)


def test_without_the_service_worker_the_same_reload_fails(contexts):
    from playwright.sync_api import Error

    context = contexts("phone", service_workers="block")
    page = context.new_page()
    page.goto("/")
    context.set_offline(True)
    with pytest.raises(Error, match="ERR_INTERNET_DISCONNECTED"):
        page.reload()
    context.set_offline(False)


def test_service_worker_keeps_the_files_of_the_current_activity(contexts):
    context = contexts("tablet")
    page = controlled_page(context)
    result = page.evaluate("() => ClassboxPWA.cacheActivity(['/static/pwa/icon-512.png'])")
    assert result == {"cached": 1}
    context.set_offline(True)
    status = page.evaluate("async () => (await fetch('/static/pwa/icon-512.png')).status")
    assert status == 200
    missing = page.evaluate("async () => { try { await fetch('/static/pwa/README.md'); return 'fetched'; }"
                            " catch (e) { return 'offline'; } }")
    assert missing == "offline", "only the shell and the activity's files are kept"
    context.set_offline(False)
    page.evaluate("() => ClassboxPWA.cacheActivity([])")
    context.set_offline(True)
    gone = page.evaluate("async () => { try { return (await fetch('/static/pwa/icon-512.png')).status; }"
                         " catch (e) { return 'offline'; } }")
    assert gone == "offline", "the previous activity's files are dropped"
    context.set_offline(False)


def test_answers_wait_on_the_device_and_are_sent_once_in_order(contexts):
    context = contexts("phone")
    page = context.new_page()
    page.goto("/")
    page.add_script_tag(url=QUEUE, type="module")
    page.evaluate("""() => { window.seen = [];
        ClassboxOutbox.on(d => window.seen.push(d.state + ':' + d.pending)); }""")
    ids = page.evaluate("""async () => {
        const a = await ClassboxOutbox.enqueue({activity_id: 7, answer: 'B'});
        const b = await ClassboxOutbox.enqueue({activity_id: 8, answer: 'C'});
        return [a.submission_id, b.submission_id]; }""")
    assert len(set(ids)) == 2 and all(len(i) == 36 and i[14] == "4" for i in ids), ids
    failed = page.evaluate("() => ClassboxOutbox.flush(() => Promise.reject(new Error('no Wi-Fi')))")
    assert failed == {"sent": 0, "pending": 2}
    assert page.evaluate("() => window.seen") == ["queued:1", "queued:2", "sending:2", "waiting:2"]

    page.reload()  # the tab is closed or the tablet restarts: the answers are still there
    page.add_script_tag(url=QUEUE, type="module")
    queued = page.evaluate("async () => (await ClassboxOutbox.pending()).map(r => [r.submission_id, r.answer])")
    assert queued == [[ids[0], "B"], [ids[1], "C"]]
    sent = page.evaluate("""async () => { const sent = [];
        const result = await ClassboxOutbox.flush(async r => { sent.push(r.submission_id); return {ok: true}; });
        const again = await ClassboxOutbox.flush(async r => { sent.push(r.submission_id); });
        return {sent, result, again}; }""")
    assert sent == {"sent": ids, "result": {"sent": 2, "pending": 0}, "again": {"sent": 0, "pending": 0}}


def test_an_answer_the_box_refuses_for_good_is_not_retried(contexts):
    page = contexts("phone").new_page()
    page.goto("/")
    page.add_script_tag(url=QUEUE, type="module")
    result = page.evaluate("""async () => {
        await ClassboxOutbox.enqueue({activity_id: 1, answer: 'x'});
        const first = await ClassboxOutbox.flush(() => Promise.reject({permanent: true}));
        let calls = 0;
        const second = await ClassboxOutbox.flush(async () => { calls += 1; });
        return {first, second, calls}; }""")
    assert result == {"first": {"sent": 0, "pending": 0}, "second": {"sent": 0, "pending": 0}, "calls": 0}


def test_the_pupil_sees_waiting_then_sent(contexts, box):
    context = contexts("phone")
    page = context.new_page()
    page.goto("/")
    page.add_script_tag(url=QUEUE, type="module")
    # The status line as the pupil pages include it (templates/pupil/outbox_status.html).
    page.evaluate("""() => { const p = document.createElement('p'); p.id = 'envoi'; p.setAttribute('role', 'status');
        p.className = 'outbox-status'; p.dataset.sending = 'Envoi…'; p.dataset.sent = 'Envoyé';
        p.dataset.waiting = 'En attente du Wi-Fi'; document.querySelector('main').append(p);
        ClassboxOutbox.bindStatus(p);
        window.send = r => fetch('/healthz', {cache: 'no-store'}).then(x => { if (!x.ok) throw x; }); }""")
    context.set_offline(True)
    page.evaluate("async () => { await ClassboxOutbox.enqueue({activity_id: 3, answer: 'A'});"
                  " await ClassboxOutbox.flush(window.send); }")
    assert page.inner_text("#envoi") == "En attente du Wi-Fi"
    assert page.get_attribute("#envoi", "data-state") == "waiting"
    context.set_offline(False)
    page.evaluate("() => ClassboxOutbox.start(window.send, {retryMs: 200})")
    page.wait_for_function("() => document.querySelector('#envoi').dataset.state === 'sent'")
    assert page.inner_text("#envoi") == "Envoyé"


def test_a_kept_video_plays_and_seeks_without_wifi(contexts):
    context = contexts("tablet")
    page = controlled_page(context)
    videos = page.request.get("/api/library?kind=video").json()["items"]
    assert videos, "the e2e pack's video is in the library"
    resource = f"/library/{videos[0]['id']}"
    kept = page.evaluate("(url) => ClassboxPWA.cacheActivity([url])", resource)
    assert kept["cached"] >= 2, "the resource page, the video it embeds (and its scripts)"
    context.set_offline(True)
    page.goto(resource)
    page.wait_for_selector("video")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.3")
    page.evaluate("""() => new Promise(done => { const v = document.querySelector('video');
        v.addEventListener('seeked', done, {once: true}); v.currentTime = 5; })""")
    assert page.evaluate("() => document.querySelector('video').currentTime") >= 4.9
    context.set_offline(False)
