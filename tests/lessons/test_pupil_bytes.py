"""What reaches a pupil's device, byte for byte, on a real server: no right answer, weight or feedback of a
step before this pupil has answered it (the pupil page over HTTP, every websocket frame)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import websocket

from classbox.lessons.steps import validate_steps
from classbox.lessons.store import Lesson, find_owner, save_lessons
from classbox.storage import open_database
from tests.classroom.test_live_server import Device, data_dir, teacher_cookie  # noqa: F401  (fixture)
from tests.helpers import LiveServer, new_id
from tests.lessons.conftest import SECRETS, STEPS

pytestmark = pytest.mark.slow
NS = "/classroom"


class RawPupil:
    """A pupil's device speaking Engine.IO 4 over a websocket itself, keeping every frame the box sends."""

    def __init__(self, url: str) -> None:
        self.frames: list[str] = []
        self.ws = websocket.create_connection(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                              timeout=10)
        self._recv()  # Engine.IO open
        self.ws.send(f'40{NS},{{"lang":"fr"}}')
        assert self._recv().startswith(f"40{NS},")
        self.next_id = 0

    def _recv(self) -> str:
        while True:
            frame = self.ws.recv()
            self.frames.append(frame)
            if frame == "2":  # ping
                self.ws.send("3")
                continue
            return frame

    def call(self, event: str, data: dict) -> dict:
        self.next_id += 1
        self.ws.send(f"42{NS},{self.next_id}" + json.dumps([event, data]))
        while True:
            frame = self._recv()
            if frame.startswith(f"43{NS},{self.next_id}["):
                return json.loads(frame[len(f"43{NS},{self.next_id}"):])[0]

    def wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = self._recv()
            if frame.startswith(f'42{NS},["{event}"'):
                return json.loads(frame[len(f"42{NS},"):])[1]
        raise AssertionError(f"no {event} event")

    def seen(self) -> str:
        return "".join(self.frames)


def secrets_in(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_no_answer_or_feedback_reaches_a_pupil_before_it_answered(data_dir):  # noqa: F811
    db = open_database(data_dir)
    lesson_id = save_lessons(db, [Lesson("Fractions 5e", validate_steps(STEPS))], find_owner(db, "mme.martin"), "json")[0]
    db.conn.close()
    with LiveServer(data_dir, command="web") as server:
        teacher = Device(server.url, teacher_cookie(server.url))
        try:
            code = teacher.call("open_session", {"title": "5e B"})["code"]
            page = httpx.get(f"{server.url}/join/{code}").text
            lea = RawPupil(server.url)
            try:
                check_frames(teacher, lea, code, page, lesson_id)
            finally:
                lea.ws.close()
        finally:
            teacher.close()


def check_frames(teacher: Device, lea: RawPupil, code: str, page: str, lesson_id: int) -> None:
    assert lea.call("join", {"code": code, "name": "Léa"})["ok"]
    assert teacher.call("play", {"lesson_id": lesson_id, "step": 1})["ok"]  # live: its feedback stays on the box
    assert lea.wait_for("activity")["lesson"]["step"] == 1
    release = teacher.call("release", {"lesson_id": lesson_id})["release"]
    steps = lea.wait_for("release")["steps"]
    state = lea.call("lesson_state", {})
    assert state["ok"] and len(state["release"]["steps"]) == 8
    assert secrets_in(page + lea.seen()) == []
    before = len(lea.frames)
    answered = lea.call("lesson_answer", {"activity_id": steps[1]["id"], "submission_id": new_id(), "answer": 2})
    assert answered["result"]["feedback"] == "Non : 2/3 > 1/2"  # answered: now it may know
    after = "".join(lea.frames[before:])
    others = ["Oui, Paris", "l'ancien nom", "Lutèce", "0.49", "0.51"]  # the other steps' answers
    assert [s for s in others if s in after] == []
    assert teacher.call("stop_release", {"release_id": release["release_id"]})["ok"]
