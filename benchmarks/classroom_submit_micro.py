"""In-process micro benchmark of the submit path: CPU ms per answer (no network, no gunicorn).

A teacher and N pupils on Flask-SocketIO test clients (threading mode); each pupil submits one
answer to the current quiz. The group writer is replaced by one open transaction on this thread
(committed once at the end, like one big group commit), so only the per-answer work is timed:
"handler" = the whole Socket.IO event (checks, SQL, outbox, the teacher's event), each answer
stored alone; "service" = `Classroom.submit` alone (checks, SQL, outbox), each answer alone;
"group" = the writer's call for all the round's answers at once, as when a class answers
together (checks, one duplicate check, multi-row inserts, outbox). Prints CPU ms per answer
(`time.process_time()`, best of --repeat) and, with --profile, the top functions by own time.

    .venv/bin/python benchmarks/classroom_submit_micro.py [--pupils 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from classbox import create_app  # noqa: E402
from classbox.auth.users import add_user  # noqa: E402
from classbox.classroom.answers import store_answers  # noqa: E402
from classbox.classroom.records import Answer  # noqa: E402
from classbox.config import load_config  # noqa: E402
from classbox.storage import open_database  # noqa: E402

NS = "/classroom"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (a new quiz each); the best is kept")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--modes", default="handler,service,group", help="which of handler,service,group to run")
    parser.add_argument("--sort", default="tottime", help="pstats sort key of the profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="classbox-micro-") as tmp:
        config = load_config(path=os.devnull, env={}, overrides={"data_dir": Path(tmp) / "data"})
        app = create_app(config)
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
        db = open_database(config.data_dir)
        add_user(db, "prof", "teacher", "bench-password-1")
        db.conn.close()
        socketio = app.extensions["socketio"]
        http = app.test_client()
        http.post("/login", data={"login": "prof", "password": "bench-password-1"})
        teacher = socketio.test_client(app, namespace=NS, flask_test_client=http)
        code = teacher.emit("open_session", {"title": "micro"}, namespace=NS, callback=True)["code"]
        cap = app.extensions["classroom"]
        cap.max_pupils = max(cap.max_pupils, args.pupils)
        cap.join_ip_limit.capacity = 10 ** 9
        cap.new_pupil_limit.capacity = cap.session_new_limit.capacity = 10 ** 9  # every pupil is 127.0.0.1
        pupils = []
        for k in range(args.pupils):
            sio = socketio.test_client(app, namespace=NS)
            joined = sio.emit("join", {"code": code, "name": f"Eleve{k}"}, namespace=NS, callback=True)
            pupils.append((sio, joined["pupil_id"]))
        best = {mode: float("inf") for mode in args.modes.split(",")}
        profiler = cProfile.Profile() if args.profile else None
        for round_no in range(args.repeat):
            for mode in best:
                quiz = {"type": "quiz", "kind": "number", "question": f"{mode} {round_no}", "code": code}
                activity_id = teacher.emit("push", quiz, namespace=NS, callback=True)["activity"]["id"]
                teacher.get_received(NS)
                answers = [{"activity_id": activity_id, "submission_id": str(uuid.uuid4()), "answer": 42}
                           for _ in pupils]
                best[mode] = min(best[mode], one_round(cap, teacher, pupils, answers, mode, profiler))
        for mode, cpu in best.items():
            print(f"{mode:8} CPU {cpu * 1000 / len(pupils):.3f} ms per answer ({len(pupils)} answers, best of "
                  f"{args.repeat}, commit excluded)")
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


def one_round(cap, teacher, pupils, answers, mode, profiler) -> float:
    """CPU seconds for every pupil's answer, all in one transaction on this thread."""
    db = open_database(cap.data_dir, durable=True)
    db.conn.isolation_level = None
    run, run_item = cap.writer.run, cap.writer.run_item
    here = threading.current_thread()  # other threads (the health state writer) keep the real writer
    cap.writer.run = lambda fn: fn(db) if threading.current_thread() is here else run(fn)
    cap.writer.run_item = lambda many, item: _alone(many(db, [item])[0])
    feed = getattr(cap, "feed", None)  # the teachers' feed: one flush for the round, like one group commit
    flushes: list = []
    if feed is not None:
        feed._spawn = lambda fn, *a: flushes.append((fn, a))
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        cpu0 = time.process_time()
        if profiler:
            profiler.enable()
        session_id = next(iter(cap.presence.pupils))
        if mode == "group":
            items = [Answer(session_id, pupil_id, a["submission_id"], a["activity_id"], a["answer"], None)
                     for (_, pupil_id), a in zip(pupils, answers)]
            assert not any(isinstance(o, Exception) for o in store_answers(db, [(cap.rules, item) for item in items]))
        for (sio, pupil_id), answer in zip(pupils, answers) if mode != "group" else ():
            if mode == "handler":
                assert sio.emit("submit", answer, namespace=NS, callback=True)["ok"]
            else:
                assert cap.submit(session_id, pupil_id, answer)["ok"]
        for fn, fn_args in flushes:
            fn(*fn_args)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu0
        db.conn.execute("COMMIT")
    finally:
        cap.writer.run, cap.writer.run_item = run, run_item
        if feed is not None:
            feed._spawn = None
        db.conn.close()
    teacher.get_received(NS)
    return cpu


def _alone(outcome):
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


if __name__ == "__main__":
    main()
