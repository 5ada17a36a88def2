"""/api/lessons on the real server (`classbox web`: gunicorn, gevent worker): the import runs off the loop."""

from __future__ import annotations

from pathlib import Path

import httpx

from classbox.auth.users import add_user
from classbox.web.datadir import prepare_data_dir
from tests.helpers import LiveServer, make_config

FIXTURES = Path(__file__).parent / "fixtures"
TEACHER = ("mme.martin", "correct-horse-1")


def test_a_teacher_imports_a_gift_file_and_downloads_it_back(tmp_path):
    data = tmp_path / "data"
    db = prepare_data_dir(make_config(data))
    add_user(db, TEACHER[0], "teacher", TEACHER[1])
    db.conn.close()
    with LiveServer(data, command="web") as live, httpx.Client(base_url=live.url, timeout=60) as http:
        form = http.get("/login").text
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        assert http.post("/login", data={"login": TEACHER[0], "password": TEACHER[1], "csrf_token": token}).status_code == 302
        token = http.get("/teacher").text.split('name="csrf_token" value="')[1].split('"')[0]
        gift = (FIXTURES / "moodle-export.gift").read_bytes()
        refused = http.post("/api/lessons", files={"file": ("5e.gift", gift)})
        assert refused.status_code == 400  # no CSRF token
        made = http.post("/api/lessons", files={"file": ("5e.gift", gift)}, headers={"X-CSRFToken": token})
        assert made.status_code == 201, made.text
        assert [lesson["steps"] for lesson in made.json()["lessons"]] == [7, 3]
        exported = http.get("/api/lessons/1/export", params={"format": "gift"})
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].endswith("filename*=UTF-8''D%C3%A9faut%20pour%205e%20A%20_%20Fractions.gift")
        assert "::Fraction égale::Quelle fraction est égale à 1/2 ?{" in exported.text
