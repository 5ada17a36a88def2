"""Import of a 1,000-question GIFT file: parse, check and save in one transaction (goal < 1 s).

Builds a Moodle-like export (categories of 50 questions, [html] text, feedback, every supported
kind) and times, best of --rounds, in this process:
- baselines: reading the file and splitting it into questions on blank lines (str.split), and
  json.loads of the same lessons written as classbox-lesson/1 (C parser, no checks);
- parse: `parse_gift` (text to checked steps);
- import: `import_lessons` into a fresh data dir's database (parse + one durable transaction).
Prints wall and CPU seconds, the ratio to the baseline and the load average.

    .venv/bin/python benchmarks/lessons_gift.py [--questions 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from classbox.auth.users import add_user  # noqa: E402
from classbox.config import load_config  # noqa: E402
from classbox.lessons.gift import parse_gift  # noqa: E402
from classbox.lessons.importer import import_lessons  # noqa: E402
from classbox.lessons.lessonjson import export_json, parse_json  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402

KINDS = [
    "::Q{n}::[html]<p>Quelle fraction est égale à <b>{n}/2</b> ?</p>{{\n\t={m}/4#<p>Oui.</p>\n\t~{n}/3#<p>Non.</p>\n\t~%50%{m}/5#\n}}",
    "::Q{n}::[html]<p>{n} est pair.</p>{{{tf}#<p>Relis.</p>#<p>Bravo.</p>####<p>Pair : divisible par 2.</p>}}",
    "::Q{n}::Combien font {n} × 2 ?{{#{m}:0.5#Exact.}}",
    "::Q{n}::Donne un nombre entre {n} et {m}.{{#{n}..{m}}}",
    "::Q{n}::Écris {n} en lettres \\{{sans chiffres\\}}.{{=nombre {n} =%100%le nombre {n}#Bien.}}",
    "::Q{n}::Lesquels sont des multiples de 2 ?{{\n\t~%50%{m}\n\t~%50%{m}0\n\t~%-100%{o}\n}}",
    "::Q{n}::Explique ta méthode pour {n}.{{}}",
    "::Q{n}::[html]<p>Partie {n} : les fractions</p>",
]


def gift_file(questions: int) -> bytes:
    """A GIFT text of `questions` questions, categories of 50, like a Moodle export."""
    parts = []
    for n in range(questions):
        if n % 50 == 0:
            parts.append(f"// question: 0  name: Switch category to $course$/top/5e/Partie {n // 50}\n"
                         f"$CATEGORY: $course$/top/5e/Partie {n // 50}")
        kind = KINDS[n % len(KINDS)]
        parts.append(f"// question: {n + 1}  name: Q{n}\n" + kind.format(n=n, m=2 * n, o=2 * n + 1,
                                                                           tf="TRUE" if n % 2 == 0 else "FALSE"))
    return ("\n\n".join(parts) + "\n").encode("utf-8")


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def best(rounds: int, fn) -> tuple[float, float]:
    runs = [timed(fn) for _ in range(rounds)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.gift"
        path.write_bytes(gift_file(args.questions))
        result = parse_gift(path.read_bytes())
        steps = sum(len(lesson.steps) for lesson in result.lessons)
        assert steps == args.questions and not result.skipped, (steps, result.skipped[:3])
        config = load_config(path=os.devnull, env={}, overrides={"data_dir": Path(tmp) / "data"})
        db = prepare_data_dir(config)
        add_user(db, "bench", "teacher", "un-mot-de-passe-long-42")
        owner = {"id": db.execute("SELECT id FROM users").fetchone()[0], "login": "bench"}

        as_json = json.dumps(export_json([{"title": x.title, "steps": x.steps} for x in result.lessons])).encode()
        base = best(args.rounds, lambda: path.read_text(encoding="utf-8").split("\n\n"))
        loads = best(args.rounds, lambda: json.loads(as_json))
        from_json = best(args.rounds, lambda: parse_json(as_json))
        parse = best(args.rounds, lambda: parse_gift(path.read_bytes()))
        full = best(args.rounds, lambda: import_lessons(db, path.read_bytes(), owner))
        db.conn.close()
    print(f"{args.questions} questions, {len(result.lessons)} lessons, {len(gift_file(args.questions)) / 1024:.0f} KB "
          f"(best of {args.rounds}); load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    print(f"baseline  read + split on blank lines : {base[0] * 1000:8.1f} ms wall {base[1] * 1000:8.1f} ms CPU")
    print(f"baseline  json.loads, same lessons JSON: {loads[0] * 1000:8.1f} ms wall {loads[1] * 1000:8.1f} ms CPU")
    print(f"parse_json (classbox-lesson/1, checked): {from_json[0] * 1000:8.1f} ms wall {from_json[1] * 1000:8.1f} ms CPU"
          f"  ratio to json.loads {from_json[1] / loads[1]:.1f}x CPU")
    print(f"parse_gift                             : {parse[0] * 1000:8.1f} ms wall {parse[1] * 1000:8.1f} ms CPU"
          f"  ratio to json.loads {parse[1] / loads[1]:.1f}x CPU")
    print(f"import_lessons (parse + durable save)  : {full[0] * 1000:8.1f} ms wall {full[1] * 1000:8.1f} ms CPU"
          f"  ratio to json.loads {full[1] / loads[1]:.1f}x CPU  goal < 1000 ms: {'ok' if full[0] < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
