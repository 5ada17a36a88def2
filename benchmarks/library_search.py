"""Catalogue search latency on a generated 100,000-resource catalogue.

    .venv/bin/python benchmarks/library_search.py [--resources 100000] [--queries 2000]
Goal: p95 < 20 ms. Baseline in the same run: the bare FTS5 MATCH (no join, ranking,
filters or pagination) for the same queries. Also timed through the HTTP stack (Flask test client).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classbox.library import catalogue  # noqa: E402

WORDS = ("eau forêt élève fraction énergie volcan poésie conte histoire géographie planète animal "
         "végétal mammifère insecte multiplication division géométrie triangle cercle carte climat "
         "révolution roi château moyen-âge électricité circuit lumière son musique peinture danse "
         "théâtre lecture écriture grammaire conjugaison vocabulaire anglais espagnol allemand corps "
         "santé alimentation sport jeu coopération citoyen république liberté égalité fraternité").split()
SYLLABLES = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo la le li lo lu ma me mi mo mu na ne ni no " \
            "nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu cha che chi cho".split()
SUBJECTS = list(catalogue.SUBJECTS)
LEVELS = list(catalogue.LEVELS)
KINDS = [k for k in catalogue.KINDS if k != "zim"]


def vocabulary(rng: random.Random, size: int = 8000) -> tuple[list[str], list[float]]:
    """Real school words plus synthetic French-looking words, with Zipf weights (rank r: 1/r)."""
    words = list(WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    rng.shuffle(words)
    return words, [1 / (rank + 10) for rank in range(len(words))]


def generate(db, n: int, rng: random.Random, vocab) -> None:
    """n resources in one transaction, through the same code path as imports."""
    words, weights = vocab

    def some(k: int) -> str:
        return " ".join(rng.choices(words, weights, k=k))

    db.execute("INSERT INTO pack (id, version, title, kind) VALUES ('bench', '1', 'Bench', 'pack')")
    with db.atomic():
        for i in range(n):
            title = some(rng.randint(2, 6))
            catalogue.index_resource(db, {
                "id": f"r{i:07}", "pack": "bench", "path": f"f{i}.html", "title": title.capitalize(),
                "description": some(rng.randint(8, 30)),
                "kind": rng.choice(KINDS), "mime": "text/html", "subject": rng.choice(SUBJECTS),
                "level": rng.choice(LEVELS), "language": "fr", "license": "CC-BY", "attribution": "",
                "size": 1000, "sha256": None, "tags": some(3),
                "added_at": 0, "seq": i})


def queries(rng: random.Random, n: int, vocab) -> list[dict]:
    words_all, weights = vocab
    out = []
    for _ in range(n):
        words = rng.choices(words_all, weights, k=rng.choice([1, 1, 2, 2, 3]))
        q = " ".join(w[: rng.randint(3, len(w))] if rng.random() < 0.4 else w for w in words)
        q = q.replace("é", "e") if rng.random() < 0.5 else q
        f = {"q": q}
        if rng.random() < 0.3:
            f["level"] = rng.choice(LEVELS)
        if rng.random() < 0.2:
            f["subject"] = rng.choice(SUBJECTS)
        if rng.random() < 0.1:
            f["page"] = rng.randint(2, 5)
        out.append(f)
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--keep", help="Keep (or reuse) the generated data dir here.")
    args = parser.parse_args()

    from classbox import create_app
    from classbox.config import load_config
    from classbox.storage import open_database

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="classbox-bench-search-"))
    reuse = (work / "data" / "classbox.db").exists()
    try:
        config = load_config(path=os.devnull, env={}, overrides={"data_dir": work / "data"})
        app = create_app(config)
        db = open_database(config.data_dir)
        rng = random.Random(7)
        started = time.perf_counter()
        vocab = vocabulary(rng)
        if not reuse:
            generate(db, args.resources, rng, vocab)
        gen_s = time.perf_counter() - started
        qs = queries(rng, args.queries, vocab)
        for f in qs[:50]:
            catalogue.search(db, **f)  # warm the page cache
        timings = {"bare FTS5 MATCH (baseline)": [], "catalogue.search": [], "GET /api/library": []}
        hits = []
        for f in qs:
            match = catalogue.fts_query(f["q"])
            t0 = time.perf_counter()
            db.execute("SELECT rowid FROM resource_fts WHERE resource_fts MATCH ? LIMIT 21",
                       ["{title description tags subject} : (" + match + ")"]).fetchall()
            t1 = time.perf_counter()
            result = catalogue.search(db, per_page=20, **f)
            t2 = time.perf_counter()
            timings["bare FTS5 MATCH (baseline)"].append((t1 - t0) * 1000)
            timings["catalogue.search"].append((t2 - t1) * 1000)
            hits.append(len(result.items))
        client = app.test_client()
        for f in qs[: args.queries // 2]:
            t0 = time.perf_counter()
            assert client.get("/api/library", query_string=f).status_code == 200
            timings["GET /api/library"].append((time.perf_counter() - t0) * 1000)
        db.conn.close()
        size_mb = (config.data_dir / "classbox.db").stat().st_size / 1e6
        base95 = pct(timings["bare FTS5 MATCH (baseline)"], 95)
        print(f"# library_search {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {args.resources} resources "
              f"(generated in {gen_s:.0f} s, db {size_mb:.0f} MB), {len(qs)} queries (1–3 words drawn with the same Zipf weights as the "
              f"8,000-word vocabulary of the titles/descriptions, 40 % prefixes, half without accents, 30 % level filter, 20 % subject filter), 2-core shared machine")
        print(f"# median hits per page {statistics.median(hits):.0f}, empty pages {sum(h == 0 for h in hits)}")
        print("| what | p50 | p95 | p99 | ratio p95 to bare FTS5 | goal |")
        print("|---|---|---|---|---|---|")
        for name, values in timings.items():
            print(f"| {name} | {pct(values, 50):.2f} ms | {pct(values, 95):.2f} ms | {pct(values, 99):.2f} ms | "
                  f"{pct(values, 95) / base95:.1f} | {'p95 < 20 ms' if name != 'bare FTS5 MATCH (baseline)' else '—'} |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
