"""Guessing a classmate's picture secret: after LOCK_AFTER wrong tries the member is locked until the teacher
gives a new secret, and the teacher's dashboard is told."""

from __future__ import annotations

from classbox.classes import secretlock, secrets
from tests.classes.tap_helpers import class_session, device, klass, tap  # noqa: F401  (fixtures)
from tests.helpers import ack, received


def _secrets_on(db, teacher_id, klass) -> dict[str, list[str]]:
    secrets.set_enabled(db, teacher_id, klass["id"], True)
    return secrets.class_secrets(db, klass["id"])


def _wrong_pairs(secret: list[str]):
    """Every pair but the right one, in order."""
    pictures = list(secrets.SECRET_PICTURES)
    return ([a, b] for a in pictures for b in pictures if a != b and [a, b] != secret)


def test_a_member_is_locked_after_too_many_wrong_secrets_until_the_teacher_gives_a_new_one(
        app, class_session, klass, device, db, teacher_id, client):
    teacher, code = class_session
    lea, tom = klass["members"]["Léa"], klass["members"]["Tom"]
    secret = _secrets_on(db, teacher_id, klass)
    tap_join = app.extensions["classroom"].tap
    guesses = _wrong_pairs(secret[lea["id"]])
    for _ in range(secretlock.LOCK_AFTER - 1):
        tap_join.member_limit.forget(lea["id"])  # minutes pass between tries: only the lock stops the guesser
        tap_join.address_limit.forget("127.0.0.1")
        assert tap(device(), code, lea, next(guesses))["error"] == "wrong_secret"
    tap_join.member_limit.forget(lea["id"])
    assert tap(device(), code, lea, next(guesses))["error"] == "secret_locked"
    tap_join.member_limit.forget(lea["id"])
    locked = tap(device(), code, lea, secret[lea["id"]])  # even the right secret now
    assert locked["ok"] is False and locked["error"] == "secret_locked" and "enseignant" in locked["message"]
    [told] = received(teacher, "secret_locked")
    assert told["member_id"] == lea["id"] and told["name"] == "Léa" and told["class_id"] == klass["id"]
    assert ack(teacher, "locked_members")["members"] == [told]  # a reloaded dashboard shows it again
    assert tap(device(), code, tom, secret[tom["id"]])["ok"], "only Léa is locked"
    fresh = client.post(f"/api/classes/{klass['id']}/members/{lea['id']}/secret", json={}).get_json()["secret"]
    assert tap(device(), code, lea, fresh)["ok"]
    assert ack(teacher, "locked_members")["members"] == []


def test_the_lock_counts_wrong_tries_across_devices_and_reconnections(app, class_session, klass, device, db,
                                                                     teacher_id):
    _, code = class_session
    lea = klass["members"]["Léa"]
    secret = _secrets_on(db, teacher_id, klass)[lea["id"]]
    tap_join = app.extensions["classroom"].tap
    guesses = _wrong_pairs(secret)
    for _ in range(secretlock.LOCK_AFTER - 1):
        tap_join.member_limit.forget(lea["id"])
        tap_join.address_limit.forget("127.0.0.1")
        tap(device(), code, lea, next(guesses))
    tap_join.member_limit.forget(lea["id"])
    assert tap(device(), code, lea, secret)["ok"], "the right secret before the limit still joins"
    tap_join.member_limit.forget(lea["id"])
    assert tap(device(), code, lea, next(guesses))["error"] == "secret_locked", "a success does not wipe the count"
