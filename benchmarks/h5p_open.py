"""Opening an H5P exercise: bytes on a phone's first open and on the next (cached), with the player
on its own site (`[library] h5p_origin`: the box as "localhost" when pages use 127.0.0.1) against the
player opaque on the box's site (the page opened on the player's site itself), then 35 pupils
opening it at once — time to last byte of every file the player needs, classbox behind nginx
(X-Accel-Redirect) against nginx serving the same files directly, same run.

    .venv/bin/python benchmarks/h5p_open.py [--pupils 35] [--rounds 5]
Goal: p99 time to last byte ≤ 2 × nginx direct's (the box's per-request checks are Python).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402

from library_common import PING, classbox_web, free_port, nginx, now, proxy_location, rss_mb, stop_all  # noqa: E402

PHONE = {"width": 360, "height": 740}
# the shipped site's compression (ansible/roles/classbox_nginx/templates/classbox.conf.j2)
GZIP = ("gzip on; gzip_vary on; gzip_proxied any; gzip_min_length 512; gzip_comp_level 5; gzip_types text/plain "
        "text/css text/csv text/xml text/javascript application/javascript application/json;")
# what docs/library-nginx.md's internal location adds back after an X-Accel-Redirect
KEEP = ("add_header Content-Security-Policy $upstream_http_content_security_policy always; "
        "add_header X-Content-Type-Options nosniff always; "
        "add_header Access-Control-Allow-Origin $upstream_http_access_control_allow_origin always;")


def import_exercise(data: Path, work: Path) -> str:
    """A ClassboxQuestion exercise (the tests' content type) imported into `data`; its resource id."""
    import os

    from classbox.config import load_config
    from classbox.library import import_path
    from classbox.storage import open_database
    from tests.library.h5pbuild import write_h5p

    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    pack = import_path(config, write_h5p(work / "exercice.h5p")).pack
    db = open_database(data)
    try:
        return db.execute("SELECT id FROM resource WHERE pack = ?", [pack]).fetchone()[0]
    finally:
        db.conn.close()


def logged(access_log: Path) -> list[str]:
    """The requests nginx has logged so far (host and request line)."""
    if not access_log.exists():
        return []
    return [line.split(" ", 1)[1] for line in access_log.read_text(errors="replace").splitlines()]


def browser_bytes(base: str, path: str, access_log: Path) -> tuple[dict, list[str]]:
    """Bytes over the network (headers included) and requests reaching nginx on a first and a
    second open in one phone-sized Chromium context, and the H5P URLs the player asked for."""
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE, service_workers="block")
        figures = {}
        for visit in ("first", "cached"):
            page = context.new_page()  # the sandboxed player is its own process: count through Playwright
            responses = []
            before = len(logged(access_log))

            def keep(response, into=responses):
                into.append(response)
            context.on("response", keep)
            page.on("request", lambda r: seen.append(r.url))
            page.goto(base + path)
            frame = page.wait_for_selector("iframe#h5p-frame").content_frame()
            frame.wait_for_function("() => document.documentElement.dataset.h5p === 'ready'")
            page.wait_for_load_state("networkidle")
            frame.wait_for_load_state("networkidle")
            context.remove_listener("response", keep)
            sizes = [r.request.sizes() for r in responses]
            figures[visit] = {"bytes": sum(z["responseBodySize"] + z["responseHeadersSize"] for z in sizes),
                              "requests": len(responses), "reached": len(logged(access_log)) - before,
                              "reached_lines": logged(access_log)[before:],
                              "from_cache": sum(1 for r, z in zip(responses, sizes) if z["responseBodySize"] == 0
                                                and r.status in (200, 304))}
            page.close()
        browser.close()
    h5p = sorted({urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "")
                  for u in seen if urlsplit(u).path.startswith("/h5p/") and urlsplit(u).hostname == "localhost"})
    return figures, h5p


async def one_pupil(base: str, paths: list[str]) -> float:
    """A pupil's browser: the player page, then its files over 6 connections; seconds to the last byte."""
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=6), timeout=60) as client:
        first = await client.get(paths[0])
        first.raise_for_status()
        responses = await asyncio.gather(*(client.get(p) for p in paths[1:]))
        for response in responses:
            response.raise_for_status()
    return time.perf_counter() - start


async def class_opens(base: str, paths: list[str], pupils: int, rounds: int) -> list[float]:
    """`pupils` at once, `rounds` times: every pupil's time to last byte (seconds)."""
    times: list[float] = []
    for _ in range(rounds):
        times += await asyncio.gather(*(one_pupil(base, paths) for _ in range(pupils)))
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=35)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="classbox-bench-h5p-"))
    data, mirror = work / "data", work / "mirror"
    rid = import_exercise(data, work)
    procs = []
    try:
        port = free_port()
        player = f"http://localhost:{port}"  # the player's site: the same nginx, another site
        app, app_url = classbox_web(data, work / "web.log", behind_nginx=True,
                                    extra_env={"CLASSBOX_LIBRARY_H5P_ORIGIN": player})
        procs.append(app)
        access_log = work / "access.log"
        server = "\n".join([PING, GZIP, f"access_log {access_log} who;",
                            f"location /_blobs/ {{ internal; alias {data}/blobs/; {KEEP} }}",
                            f"location /direct/ {{ alias {mirror}/; default_type text/html; }}",
                            proxy_location("/", app_url, "proxy_set_header Host $http_host;")])
        ngx, ngx_url = nginx(work / "nginx", server, http_extra="log_format who '$host \"$request\" $status';", port=port)
        procs.append(ngx)
        figures, paths = browser_bytes(ngx_url, f"/library/{rid}", access_log)
        opaque, _ = browser_bytes(player, f"/library/{rid}", access_log)  # page on the player's site: opaque
        play = next(p for p in paths if p.startswith("/h5p/play/"))
        paths = [play] + [p for p in paths if p != play]
        for path in paths:  # the same files for nginx alone, at the same paths under /direct/
            target = mirror / urlsplit(path).path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(httpx.get(player + path).raise_for_status().content)
        total = sum((mirror / urlsplit(p).path.lstrip("/")).stat().st_size for p in paths)
        results = {}
        for name, prefixed in (("nginx direct", ["/direct" + urlsplit(p).path for p in paths]),
                               ("classbox via nginx", paths),
                               ("classbox via nginx, next open (player page only: the rest is cached)", paths[:1])):
            asyncio.run(class_opens(player, prefixed, 5, 1))  # warm up
            results[name] = asyncio.run(class_opens(player, prefixed, args.pupils, args.rounds))
        import os

        print(f"# h5p_open {now()} — load average {os.getloadavg()[0]:.2f}, 2-core shared machine")
        for name, found in (("player on its own site", figures), ("player opaque (baseline)", opaque)):
            first, cached = found["first"], found["cached"]
            print(f"# phone (360×740, Chromium) opening /library/<id>, {name}: first open "
                  f"{first['bytes'] / 1024:.1f} KB, {first['reached']} requests reached nginx; next open "
                  f"{cached['bytes'] / 1024:.1f} KB, {cached['reached']} requests reached nginx "
                  f"({cached['from_cache']} of {cached['requests']} responses without a body: cache or 304)")
            print("#   reached nginx on the next open: " + "; ".join(cached["reached_lines"]))
        print(f"# the player's own files: {len(paths)} requests, {total / 1024:.1f} KB before gzip")
        base_p99 = p99(results["nginx direct"])
        print("| server | pupils × rounds | p50 | p99 | ratio p99 to nginx | goal |")
        print("|---|---|---|---|---|---|")
        for name, times in results.items():
            print(f"| {name} | {args.pupils} × {args.rounds} | {statistics.median(times) * 1000:.0f} ms | "
                  f"{p99(times) * 1000:.0f} ms | {p99(times) / base_p99:.2f} | "
                  f"{'1' if name == 'nginx direct' else '≤ 2'} |")
        print(f"# classbox web RSS after the run: {rss_mb(app.pid):.0f} MB")
    finally:
        stop_all(procs, work)


if __name__ == "__main__":
    main()
