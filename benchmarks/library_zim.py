"""ZIM pages, 16 concurrent clients fetching random articles: classbox /zim/ vs kiwix-serve on the
same ZIM file (made here with libzim's writer), same run.

    .venv/bin/python benchmarks/library_zim.py [--articles 3000] [--seconds 8]
Goal (issue #3): classbox ≥ 1.0 × kiwix-serve requests/s. Measured: gunicorn alone (the in-process
entry cache warms during the run) and the deployed path, nginx in front with a cache for the
immutable /zim/ responses (warmed by one pass over every article, then measured).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_common import ROOT, check, classbox_web, free_port, nginx, now, rss_mb, start, stop, wait_http, wrk  # noqa: E402

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
    parser.add_argument("--seconds", type=int, default=8)
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
    try:
        port = free_port()
        kiwix = start(["kiwix-serve", "--address", "127.0.0.1", "--port", str(port), str(stored)], work / "kiwix.log")
        procs.append(kiwix)
        kiwix_url = f"http://127.0.0.1:{port}"
        wait_http(kiwix_url + "/", proc=kiwix)
        app, app_url = classbox_web(data, work / "web.log", behind_nginx=True)
        procs.append(app)
        ngx, ngx_url = nginx(work / "nginx", f"""
        location = / {{ return 200 "ok"; }}
        location /zim/ {{
            proxy_pass {app_url}; proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_cache zim; proxy_cache_valid 200 301 302 1d; proxy_cache_lock on;
            add_header X-Cache $upstream_cache_status always;
        }}""", http_extra=f"proxy_cache_path {work}/cache levels=1:2 keys_zone=zim:16m max_size=512m "
                          "inactive=7d use_temp_path=off;")
        procs.append(ngx)
        kiwix_prefix = f"/{stored.stem}/"
        targets = {"kiwix-serve": (kiwix_url, kiwix_prefix), "classbox gunicorn alone": (app_url, "/zim/bench_fr/"),
                   "classbox behind nginx cache (warm)": (ngx_url, "/zim/bench_fr/")}
        for name, (base, prefix) in targets.items():
            response = check(f"{base}{prefix}Article_7")
            assert response.status_code == 200 and "Article 7" in response.text, (name, response.status_code)
        import httpx

        with httpx.Client() as client:  # warm nginx's cache: one pass over every article
            for i in range(args.articles):
                client.get(f"{ngx_url}/zim/bench_fr/Article_{i}")
        assert check(f"{ngx_url}/zim/bench_fr/Article_7").headers.get("x-cache") == "HIT"
        results = {}
        for name, (base, prefix) in targets.items():
            script = lua(work / f"{len(results)}.lua", prefix, args.articles)
            results[name] = wrk(base + prefix + "Accueil", 2, 16, args.seconds, script, timeout=10)
        base_rps = results["kiwix-serve"]["rps"]
        print(f"# library_zim {now()} — {args.articles}-article ZIM ({stored.stat().st_size / 1e6:.1f} MB), "
              f"random articles, wrk -t2 -c16 -d{args.seconds}s, 2-core shared machine")
        print("| server | req/s | p50 | p99 | errors | ratio to kiwix-serve | goal |")
        print("|---|---|---|---|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
                  f"{r['non_2xx']} non-2xx, sockets {r['socket_errors']} | {r['rps'] / base_rps:.2f} | "
                  f"{'1' if name == 'kiwix-serve' else '≥ 1.0'} |")
        print(f"# RSS: classbox web {rss_mb(app.pid):.0f} MB, kiwix-serve {rss_mb(kiwix.pid):.0f} MB")
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
