"""ZIM pages, 16 concurrent clients fetching random articles: classbox /zim/ vs kiwix-serve on the
same ZIM file (made here with libzim's writer), same run.

    .venv/bin/python benchmarks/library_zim.py [--articles 3000] [--seconds 8]
Goal: classbox ≥ 1.0 × kiwix-serve requests/s. Measured for kiwix-serve, classbox under
gunicorn alone, and the deployed path (nginx in front with proxy_cache for the immutable /zim/
responses, docs/library-nginx.md): cold = the first pass over every article (each once, 16 at a
time, fresh processes and an empty nginx cache), then warm = random articles with wrk.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_common import (PING, ROOT, check, classbox_web, curl_pass, free_port, nginx, now, pss_mb, rss_mb,  # noqa: E402
                            start, stop_all, wait_http, wrk, zim_cache_location, zim_cache_zone)

WORDS = ("forêt rivière montagne éléphant volcan planète énergie climat océan histoire royaume "
         "révolution électricité végétal animal mammifère insecte oiseau poisson désert").split()


def make_book(path: Path, articles: int) -> None:
    """A French ZIM of `articles` pages of about 6 KB each, with a full-text index."""
    sys.path.insert(0, str(ROOT))
    from tests.library.conftest import Article
    from libzim.writer import Creator

    rng = random.Random(3)
    with Creator(str(path)).config_indexing(True, "fra") as creator:
        creator.set_mainpath("Accueil")
        creator.add_item(Article("Accueil", "Accueil", "<html><body><h1>Accueil</h1></body></html>"))
        for i in range(articles):
            text = " ".join(rng.choice(WORDS) for _ in range(900))
            creator.add_item(Article(f"Article_{i}", f"Article {i} {rng.choice(WORDS)}",
                                     f"<html><head><title>Article {i}</title></head><body><h1>Article {i}</h1>"
                                     f"<p>{text}</p></body></html>"))
        for key, value in {"Name": "bench_fr", "Title": "Bench", "Language": "fra", "Creator": "bench",
                           "Publisher": "bench", "Date": "2026-01-01", "Description": "bench"}.items():
            creator.add_metadata(key, value)


def lua(path: Path, prefix: str, articles: int) -> Path:
    path.write_text(f"""
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  return wrk.format("GET", "{prefix}Article_" .. math.random(0, {articles - 1}))
end
""")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="warm rounds (one wrk run per server each)")
    parser.add_argument("--workers", type=int, default=0,
                        help="also measure gunicorn alone with this many workers (joined by a redis-server)")
    args = parser.parse_args()

    from classbox.config import load_config
    from classbox.library import import_path

    work = Path(tempfile.mkdtemp(prefix="classbox-bench-zim-"))
    data = work / "data"
    book = work / "bench.zim"
    make_book(book, args.articles)
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    import_path(config, book)
    stored = next((data / "zim").glob("*.zim"))
    procs = []
    shm = Path("/dev/shm")  # nginx's /zim/ cache on tmpfs, as docs/library-nginx.md recommends
    cache_dir = Path(tempfile.mkdtemp(prefix="classbox-bench-zim-cache-", dir=shm if shm.is_dir() else work))
    try:
        port = free_port()
        kiwix = start(["kiwix-serve", "--address", "127.0.0.1", "--port", str(port), str(stored)], work / "kiwix.log")
        procs.append(kiwix)
        kiwix_url = f"http://127.0.0.1:{port}"
        wait_http(kiwix_url + "/", proc=kiwix)
        alone, alone_url = classbox_web(data, work / "web-alone.log", behind_nginx=False)
        procs.append(alone)
        behind, behind_url = classbox_web(data, work / "web-behind.log", behind_nginx=True)
        procs.append(behind)
        several = {}
        if args.workers > 1:  # issue 22: every core, no nginx
            sys.path.insert(0, str(ROOT))
            from tests.redis_server import RedisServer

            redis_server = RedisServer(work / "redis").start()
            procs.append(redis_server.proc)
            many, many_url = classbox_web(data, work / "web-workers.log", behind_nginx=False, workers=args.workers,
                                          message_queue=redis_server.url)
            procs.append(many)
            several = {f"classbox gunicorn alone, {args.workers} workers": (many_url, "/zim/bench_fr/")}
        ngx, ngx_url = nginx(work / "nginx", "\n".join([PING, zim_cache_location()]),
                             http_extra=zim_cache_zone(cache_dir, behind_url))
        procs.append(ngx)
        targets = {"kiwix-serve": (kiwix_url, f"/{stored.stem}/"), "classbox gunicorn alone": (alone_url, "/zim/bench_fr/"),
                   **several, "classbox behind nginx proxy_cache": (ngx_url, "/zim/bench_fr/")}
        order = [f"Article_{i}" for i in range(args.articles)]
        random.Random(5).shuffle(order)
        cold, warm = {}, {name: [] for name in targets}
        for name, (base, prefix) in targets.items():
            # cold: every article once, 16 at a time, on a server that has served none of them yet
            cold[name] = curl_pass(base, [prefix + p for p in order], 16)
            response = check(f"{base}{prefix}Article_7")
            assert response.status_code == 200 and "Article 7" in response.text, (name, response.status_code)
        assert check(f"{ngx_url}/zim/bench_fr/Article_7").headers.get("x-cache") == "HIT"
        ceiling = curl_pass(ngx_url, ["/"] * args.articles, 16)  # the cold-pass client's own limit
        loads = []
        for _round in range(args.rounds):  # warm: the servers take turns, so load swings hit all of them
            for index, (name, (base, prefix)) in enumerate(targets.items()):
                script = lua(work / f"{index}.lua", prefix, args.articles)
                warm[name].append(wrk(base + prefix + "Accueil", 2, 16, args.seconds, script, timeout=10))
            loads.append(os.getloadavg()[0])
        print(f"# library_zim {now()} — {args.articles}-article ZIM ({stored.stat().st_size / 1e6:.1f} MB), "
              f"16 concurrent clients, 2-core shared machine, load average {min(loads):.1f}–{max(loads):.1f}")
        print(f"# cold: first pass, every article once (curl --parallel-max 16); warm: random articles "
              f"afterwards (wrk -t2 -c16 -d{args.seconds}s, {args.rounds} rounds, servers in turn; median round)")
        print(f"# the cold-pass client (curl) alone, against nginx's static `return 200`: {ceiling['rps']:.0f} req/s")
        print("| server | cold req/s | cold ratio | warm req/s | p50 | p99 | errors | warm ratio to kiwix-serve "
              "(median, range) | goal |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name in targets:
            c = cold[name]
            ratios = sorted(w["rps"] / k["rps"] for w, k in zip(warm[name], warm["kiwix-serve"]))
            runs = sorted(warm[name], key=lambda r: r["rps"])
            w = runs[len(runs) // 2]
            errors = sum(r["non_2xx"] for r in runs)
            sockets = "; ".join(r["socket_errors"] for r in runs if r["socket_errors"] != "none") or "none"
            print(f"| {name} | {c['rps']:.0f} | {c['rps'] / cold['kiwix-serve']['rps']:.2f} | {w['rps']:.0f} | "
                  f"{w['p50_ms']:.1f} ms | {w['p99_ms']:.1f} ms | {c['failed']} cold, {errors} non-2xx, "
                  f"sockets {sockets} | {ratios[len(ratios) // 2]:.2f} ({ratios[0]:.2f}–{ratios[-1]:.2f}) | "
                  f"{'1' if name == 'kiwix-serve' else '≥ 1.0'} |")
        if several:
            print(f"# RSS: classbox web alone with {args.workers} workers (every process) {rss_mb(many.pid):.0f} MB (PSS {pss_mb(many.pid):.0f} MB) "
                  f"+ redis {rss_mb(redis_server.proc.pid):.0f} MB (goal: workers <= 250 MB)")
        print(f"# RSS: classbox web alone {rss_mb(alone.pid):.0f} MB, behind nginx {rss_mb(behind.pid):.0f} MB, "
              f"kiwix-serve {rss_mb(kiwix.pid):.0f} MB; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        stop_all(procs, work, cache_dir)


if __name__ == "__main__":
    main()
