"""The two-picture secret of a class: set, seen and reset by the teacher; wrong taps throttled."""

from __future__ import annotations

from classbox.classes import secrets
from tests.classes.tap_helpers import class_session, device, klass, tap  # noqa: F401  (fixtures)
from tests.helpers import ack


def _secrets_on(db, teacher_id, klass) -> dict[str, list[str]]:
    secrets.set_enabled(db, teacher_id, klass["id"], True)
    return secrets.class_secrets(db, klass["id"])


def _wrong(secret: list[str]) -> list[str]:
    return ["sun" if secret[0] != "sun" else "moon", secret[1]]


def test_a_member_of_a_class_with_secrets_taps_two_pictures_in_order(class_session, klass, device, db, teacher_id):
    _, code = class_session
    lea = klass["members"]["Léa"]
    secret = _secrets_on(db, teacher_id, klass)[lea["id"]]
    asked = tap(device(), code, lea)
    assert asked["ok"] is False and asked["error"] == "secret_required"
    wrong = tap(device(), code, lea, _wrong(secret))
    assert wrong["ok"] is False and wrong["error"] == "wrong_secret"
    for junk in (["x", "y"], [1, 2], ["apple"] * 3, None):  # three wrong, then one left before the throttle
        refused = ack(device(), "join", {"code": code, "member_id": lea["id"], "secret": junk})
        assert refused["ok"] is False and refused["error"] in {"wrong_secret", "secret_required"}, (junk, refused)
    assert tap(device(), code, lea, secret)["ok"]


def test_wrong_secrets_are_throttled_per_member(class_session, klass, device, db, teacher_id):
    _, code = class_session
    lea = klass["members"]["Léa"]
    secret = _secrets_on(db, teacher_id, klass)[lea["id"]]
    for _ in range(5):  # five devices, one wrong try each: Léa's bucket is empty, not theirs
        assert tap(device(), code, lea, _wrong(secret))["error"] == "wrong_secret"
    blocked = tap(device(), code, lea, secret)
    assert blocked["ok"] is False and blocked["error"] == "rate_limited"
    tom = klass["members"]["Tom"]
    assert tap(device(), code, tom, secrets.class_secrets(db, klass["id"])[tom["id"]])["ok"]


def test_wrong_secrets_are_throttled_per_device(class_session, klass, device, db, teacher_id):
    _, code = class_session
    all_secrets = _secrets_on(db, teacher_id, klass)
    names = ["Léa", "Tom", "Zoé", "<b>Noé</b>"]
    tablet = device()
    for i in range(5):  # one device guessing across members: its own bucket empties
        member = klass["members"][names[i % 4]]
        assert tap(tablet, code, member, _wrong(all_secrets[member["id"]]))["error"] == "wrong_secret"
    zoe = klass["members"]["Zoé"]
    assert tap(tablet, code, zoe, all_secrets[zoe["id"]])["error"] == "rate_limited"
    assert tap(device(), code, zoe, all_secrets[zoe["id"]])["ok"]  # Zoé herself, on her own tablet


def test_the_teacher_sets_sees_and_resets_secrets_on_the_class_page(client, login, teacher, klass, db):
    login(teacher)
    page = f"/teacher/classes/{klass['id']}"
    assert client.post(f"{page}/secrets", data={"enabled": "on"}).status_code == 302
    lea = klass["members"]["Léa"]
    before = secrets.class_secrets(db, klass["id"])[lea["id"]]
    html = client.get(page).get_data(as_text=True)
    assert 'id="secrets"' in html and f'data-secret-for="{lea["id"]}"' in html
    shown = html.split(f'data-secret-for="{lea["id"]}"')[1].split("</td>")[0]
    assert all(f"/pictograms/{p}-" in shown for p in before)
    chosen = client.post(f"/api/classes/{klass['id']}/members/{lea['id']}/secret", json={"secret": ["sun", "moon"]})
    assert chosen.status_code == 200 and chosen.get_json() == {"member_id": lea["id"], "secret": ["sun", "moon"]}
    assert secrets.class_secrets(db, klass["id"])[lea["id"]] == ["sun", "moon"]
    assert client.post(f"{page}/members/{lea['id']}/secret").status_code == 302  # a new random one
    bad = client.post(f"/api/classes/{klass['id']}/members/{lea['id']}/secret", json={"secret": ["sun", "dog"]})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_secret"
    assert client.post(f"{page}/secrets", data={}).status_code == 302  # off again
    assert secrets.class_secrets(db, klass["id"]) == {} and 'data-secret-for' not in client.get(page).get_data(as_text=True)


def test_another_teacher_cannot_see_or_reset_a_class_secret(app, klass, db, teacher_id, other_teacher_id):
    _secrets_on(db, teacher_id, klass)
    other = app.test_client()
    assert other.post("/login", data={"login": "m.durand", "password": "other-pass-456"}).status_code == 302
    lea = klass["members"]["Léa"]
    assert other.post(f"/api/classes/{klass['id']}/members/{lea['id']}/secret", json={}).status_code == 404
    assert other.get(f"/teacher/classes/{klass['id']}").status_code == 404
    assert other.post(f"/teacher/classes/{klass['id']}/secrets", data={"enabled": "on"}).status_code == 404


def test_a_reset_secret_unblocks_the_member(class_session, klass, device, db, teacher_id, client):
    _, code = class_session
    lea = klass["members"]["Léa"]
    secret = _secrets_on(db, teacher_id, klass)[lea["id"]]
    for _ in range(5):
        tap(device(), code, lea, _wrong(secret))
    assert tap(device(), code, lea, secret)["error"] == "rate_limited"
    fresh = client.post(f"/api/classes/{klass['id']}/members/{lea['id']}/secret", json={}).get_json()["secret"]
    assert tap(device(), code, lea, fresh)["ok"]


def test_the_join_page_of_a_class_with_secrets_has_the_picture_pad(app, class_session, db, teacher_id, klass):
    _, code = class_session
    _secrets_on(db, teacher_id, klass)
    page = app.test_client().get(f"/join/{code}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-secret="on"' in html and html.count('class="tap-secret"') == len(secrets.SECRET_PICTURES)
    assert 'alt="Apple"' in html and 'data-template="%(name)s, tap your two secret pictures"' in html
