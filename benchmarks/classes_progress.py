"""Progress pages of a class after a school year: 30 pupils × 150 sessions × 20 questions (+ a hand-in each).

Fills a fresh data dir with the class and --other-classes like it (direct inserts, as the classroom writes them: ~90 % of the questions
answered, 1 in 10 answered twice, 1 in 8 pupils absent per session), then times through the Flask
app (login, routing, queries, template), median and worst of --rounds, wall and CPU:
- baseline: the bare read of the class's answers (one SQL join over every row, nothing else);
- the class's progress page, a pupil's page (last 5 sessions, and all 150), the printable report,
  the summary CSV and the CSV of every answer.
Prints the query plans (each query must search an index, never scan a table), the ratios to the
baseline and the load average.

    .venv/bin/python benchmarks/classes_progress.py [--members 30] [--sessions 150] [--questions 20] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from classbox import create_app  # noqa: E402
from classbox.auth.users import add_user, find_user  # noqa: E402
from classbox.classes import continuity, store  # noqa: E402
from classbox.config import load_config  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402

CHOICES = ["rouge", "vert", "bleu", "jaune"]


def fill(db, owner: dict, members: int, sessions: int, questions: int, seed: int = 7) -> tuple[dict, int]:
    """A class of `members` and a year of its sessions; (the class, submissions written)."""
    rng = random.Random(seed)
    klass = store.create_class(db, owner["id"], "CM1 bench", ["CM1"])
    people = store.add_members(db, owner["id"], klass["id"], [{"name": f"Élève {n:02d}"} for n in range(members)])
    skill = {m["id"]: rng.uniform(0.3, 0.95) for m in people}
    seq, written = 1_000_000, 0
    with db.conn:
        for number in range(sessions):
            seq += 1
            wall = 1_767_000_000 + number * 86400
            cursor = db.execute(
                "INSERT INTO classroom_sessions (code, title, teacher_id, teacher_login, state, created_wall, "
                "closed_wall, seq, class_id) VALUES (?, ?, ?, ?, 'closed', ?, ?, ?, ?)",
                [f"B{klass['id']}X{number:05d}", f"Séance {number + 1}", owner["id"], owner["login"], wall, wall + 3000, seq,
                 klass["id"]])
            session_id = cursor.lastrowid
            pupils = {}
            for member in people:
                if rng.random() < 0.125:
                    continue
                seq += 1
                pupils[member["id"]] = uuid.uuid4().hex
                db.execute("INSERT INTO classroom_pupils (id, session_id, name, nonce, removed, joined_wall, seq, "
                           "member_id) VALUES (?, ?, ?, '', 0, ?, ?, ?)",
                           [pupils[member["id"]], session_id, member["name"], wall, seq, member["id"]])
            rows = []
            for q in range(questions + 1):
                seq += 1
                activity_id = uuid.uuid4().hex
                handin = q == questions
                spec = ({"instructions": "Raconte ta journée", "accept": ["text"]} if handin else
                        {"kind": "single", "question": f"Question {q % 40 + 1} : quelle couleur ?",
                         "choices": CHOICES, "correct": [1]})
                db.execute("INSERT INTO classroom_activities (id, session_id, type, spec, targets, created_wall, seq) "
                           "VALUES (?, ?, ?, ?, NULL, ?, ?)",
                           [activity_id, session_id, "handin" if handin else "quiz", json.dumps(spec), wall, seq])
                for member_id, pupil_id in pupils.items():
                    if rng.random() > 0.9:
                        continue
                    for _ in range(2 if rng.random() < 0.1 else 1):
                        seq += 1
                        right = rng.random() < skill[member_id]
                        answer = {"text": "Une journée"} if handin else (1 if right else rng.choice([0, 2, 3]))
                        rows.append((uuid.uuid4().hex, session_id, activity_id, pupil_id, json.dumps(answer),
                                     None if handin else int(right), wall, seq))
            db.conn.executemany(
                "INSERT INTO classroom_submissions (id, session_id, activity_id, pupil_id, answer, correct, "
                "created_wall, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            written += len(rows)
    db.execute("ANALYZE")
    return store.get_class(db, owner["id"], klass["id"]), written


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(rounds: int, fn) -> dict:
    fn()  # warm: templates compiled, pages in the OS cache
    runs = [timed(fn) for _ in range(rounds)]
    return {"wall": statistics.median(r[0] for r in runs), "worst": max(r[0] for r in runs),
            "cpu": statistics.median(r[1] for r in runs)}


def plans(db, class_id: int, owner_id: int, member_id: str) -> list[str]:
    """The query plan of each progress query, one line per step."""
    queries = [("sessions", "SELECT id FROM classroom_sessions WHERE class_id = ? AND teacher_id = ? ORDER BY seq",
                [class_id, owner_id])]
    for name, sql in (("latest answers", continuity.LATEST_SQL), ("attendance", continuity.ATTENDANCE_SQL)):
        queries.append((name, sql.format(member_filter="AND +p.member_id IS NOT NULL"), [class_id, owner_id]))
        queries.append((name + " (one pupil)", sql.format(member_filter="AND p.member_id = ?"),
                        [class_id, owner_id, member_id]))
    lines = []
    for name, sql, params in queries:
        steps = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
        lines.append(f"  {name}: " + " | ".join(steps))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--sessions", type=int, default=150)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--other-classes", type=int, default=2, help="other classes of the same size on the box")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(path=os.devnull, env={}, overrides={"data_dir": Path(tmp) / "data"})
        db = prepare_data_dir(config)
        add_user(db, "bench", "teacher", "bench-password-1", "Bench")
        owner = find_user(db, "bench")
        started = time.perf_counter()
        klass, written = fill(db, owner, args.members, args.sessions, args.questions)
        for other in range(args.other_classes):
            fill(db, owner, args.members, args.sessions, args.questions, seed=8 + other)
        size = Path(config.data_dir, "classbox.db").stat().st_size
        print(f"filled: {1 + args.other_classes} classes of {args.members} pupils, {args.sessions} sessions × {args.questions} questions + 1 hand-in, "
              f"{written} submissions each, database {size / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")
        member = klass["members"][0]
        print("query plans:")
        print("\n".join(plans(db, klass["id"], owner["id"], member["id"])))
        app = create_app(config)
        app.config.update(WTF_CSRF_ENABLED=False)
        client = app.test_client()
        assert client.post("/login", data={"login": "bench", "password": "bench-password-1"}).status_code == 302
        base = f"/teacher/classes/{klass['id']}"
        mine = f"{base}/members/{member['id']}"

        def get(path: str):
            def run():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                run.size = len(response.get_data())
            return run

        def bare_read():
            db.execute("SELECT p.member_id, sub.activity_id, sub.correct, sub.seq FROM classroom_sessions s "
                       "JOIN classroom_pupils p ON p.session_id = s.id "
                       "JOIN classroom_submissions sub ON sub.pupil_id = p.id WHERE s.class_id = ?",
                       [klass["id"]]).fetchall()
        bare_read.size = 0

        cases = [("baseline: bare read of every answer (SQL)", bare_read),
                 ("class progress page", get(f"{base}/progress")),
                 ("pupil page (last 5 sessions)", get(f"{mine}/progress")),
                 ("pupil page (all sessions)", get(f"{mine}/progress?all=1")),
                 ("printable report", get(f"{mine}/report")),
                 ("class summary CSV", get(f"{base}/progress.csv")),
                 ("class answers CSV", get(f"{base}/progress.csv?detail=answers")),
                 ("pupil answers CSV", get(f"{mine}/progress.csv"))]
        results = [(name, measure(args.rounds, fn), fn) for name, fn in cases]
        floor = results[0][1]["wall"]
        print(f"\n{'what':44} {'median':>9} {'worst':>9} {'CPU':>9} {'ratio':>6} {'size':>9}")
        for name, r, fn in results:
            print(f"{name:44} {r['wall'] * 1000:7.1f}ms {r['worst'] * 1000:7.1f}ms {r['cpu'] * 1000:7.1f}ms "
                  f"{r['wall'] / floor:6.1f} {fn.size / 1024:7.0f}KB")
        print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"(median of {args.rounds} rounds, in process, {os.cpu_count()} cores)")
        db.conn.close()


if __name__ == "__main__":
    main()
