"""Pure pieces: rate limits with a driven clock, file sniffing, presence counts, tokens."""

import pytest

from classbox.classroom.feed import SubmissionFeed
from classbox.classroom.handins import clean_filename, sniff
from classbox.classroom.live import Conn, Presence
from classbox.classroom.ratelimit import RateLimiter
from classbox.classroom.tokens import TokenError, make_token, read_token


def test_rate_limiter_allows_a_burst_then_refills():
    now = [0.0]
    limiter = RateLimiter(3, 1.0, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # keys are independent
    now[0] = 1.0
    assert limiter.allow("a") and not limiter.allow("a")


@pytest.mark.parametrize("data,mime", [
    (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"), (b"\x89PNG\r\n\x1a\n....", "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (b"%PDF-1.7", "application/pdf"),
    ("Bonjour, voilà mon texte".encode(), "text/plain"),
    (b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.textPK", "application/vnd.oasis.opendocument.text"),
    (b"MZ\x90\x00\x03\x00", None), (b"\x00\x01\x02", None), (b"PK\x03\x04" + b"\x00" * 40, None),
])
def test_file_types_are_read_from_the_content(data, mime):
    assert sniff(data) == mime


def test_filenames_are_made_harmless():
    assert clean_filename("../../etc/passwd.png", "image/png") == "passwd.png"
    assert clean_filename("<script>.exe", "application/pdf") == "script.pdf"
    assert clean_filename("schéma de l'eau.png", "image/png") == "schéma de l_eau.png"
    assert clean_filename("sche\u0301ma.jpg", "image/jpeg") == "schéma.jpg"  # decomposed accents (macOS, iOS)
    assert clean_filename("photo\u202egnp.exe", "image/png") == "photo_gnp.png"  # no right-to-left override


def test_presence_tracks_pupils_across_reconnects():
    presence = Presence()
    for sid in ("a", "b", "t"):
        presence.connect(Conn(sid, "teacher" if sid == "t" else "pupil"))
    presence.attach_teacher("t", 1)
    assert presence.attach_pupil("a", 1, "p1") is True
    assert presence.attach_pupil("b", 1, "p1") is False  # second tab of the same pupil
    assert presence.counts() == {"pupils": 1, "teachers": 1, "sessions": 1}
    assert presence.disconnect("a")[1] is False
    assert presence.disconnect("b")[1] is True
    assert presence.counts() == {"pupils": 0, "teachers": 1, "sessions": 1}


def test_tokens_are_bound_and_signed():
    token = make_token("secret", 3, "p1", "n1")
    assert read_token("secret", token) == {"s": 3, "p": "p1", "n": "n1"}
    with pytest.raises(TokenError):
        read_token("other-secret", token)
    with pytest.raises(TokenError):
        read_token("secret", token, max_age_s=-1)
    with pytest.raises(TokenError):
        read_token("secret", {"s": 3})


def test_the_submission_feed_sends_answers_stored_together_as_one_event_per_session():
    sent, later = [], []
    feed = SubmissionFeed(lambda session_id, records: sent.append((session_id, records)),
                          lambda fn, *args: later.append((fn, args)))
    for i in range(3):
        feed.add(1, {"submission_id": f"a{i}"})
    feed.add(2, {"submission_id": "b0"})
    assert sent == [] and len(later) == 2  # one flush scheduled per session
    for fn, args in later:
        fn(*args)
    assert sent == [(1, [{"submission_id": "a0"}, {"submission_id": "a1"}, {"submission_id": "a2"}]),
                    (2, [{"submission_id": "b0"}])]
    feed.add(1, {"submission_id": "a3"})  # after a flush, the next answer starts a new event
    later[-1][0](*later[-1][1])
    assert sent[-1] == (1, [{"submission_id": "a3"}])


def test_without_a_spawn_the_feed_sends_each_answer_at_once():
    sent = []
    feed = SubmissionFeed(lambda session_id, records: sent.append((session_id, records)), None)
    feed.add(7, {"submission_id": "x"})
    assert sent == [(7, [{"submission_id": "x"}])]


def test_the_cached_session_serializer_follows_a_key_change(app):
    from itsdangerous import BadSignature

    from classbox.web.session_cookie import CachedSerializerSessionInterface

    interface = app.session_interface
    assert isinstance(interface, CachedSerializerSessionInterface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    signed = first.dumps({"user": 1})
    app.secret_key = "another key for this test"
    other = interface.get_signing_serializer(app)
    assert other is not first and other.loads(other.dumps({"user": 2})) == {"user": 2}
    with pytest.raises(BadSignature):
        other.loads(signed)  # a cookie signed with the old key no longer opens


def test_the_web_worker_hides_the_built_app_from_the_collector():
    import gc

    from classbox.runtime import server

    before = gc.get_threshold()
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        server.tune_gc()
        assert gc.get_freeze_count() > 0, "objects existing once the app is built are frozen"
        assert gc.get_threshold() == server.GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
