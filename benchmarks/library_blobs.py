"""Blob downloads, 8 parallel clients: classbox behind nginx (X-Accel-Redirect) and gunicorn alone,
against nginx serving the same file directly, same run.

    .venv/bin/python benchmarks/library_blobs.py [--mb 200] [--seconds 40]
Goals: X-Accel ≥ 0.95 × nginx direct; gunicorn alone ≥ 0.5 ×.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_common import (PING, blob_locations, check, classbox_web, nginx, now, proxy_location,  # noqa: E402
                            rss_mb, stop_all, wrk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=40)  # 200 MB bodies: shorter runs end mid-transfer (±5 %)
    args = parser.parse_args()

    from classbox.config import load_config
    from classbox.library import import_path

    work = Path(tempfile.mkdtemp(prefix="classbox-bench-blobs-"))
    data = work / "data"
    pack = work / "pack"
    pack.mkdir()
    with open(pack / "film.mp4", "wb") as handle:
        for _ in range(args.mb):
            handle.write(os.urandom(1024 * 1024))
    (pack / "classbox-pack.json").write_text(
        '{"format": "classbox-pack/1", "id": "bench", "version": "1", "title": "Bench", "language": "fr",'
        ' "publisher": "bench", "license": "CC0-1.0", "resources": [{"path": "film.mp4", "title": "Film"}]}')
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    import_path(config, pack)
    (pack / "film.mp4").unlink()
    sha = next((data / "blobs").rglob("*/*/*")).name

    procs = []
    try:
        accel_app, accel_url = classbox_web(data, work / "web-accel.log", behind_nginx=True)
        procs.append(accel_app)
        plain_app, plain_url = classbox_web(data, work / "web-plain.log", behind_nginx=False)
        procs.append(plain_app)
        server = "\n".join([PING, blob_locations(data), proxy_location("/", accel_url)])
        ngx, ngx_url = nginx(work / "nginx", server)
        procs.append(ngx)
        direct = f"{ngx_url}/direct/{sha[:2]}/{sha[2:4]}/{sha}"
        via = f"{ngx_url}/blobs/{sha}"
        alone = f"{plain_url}/blobs/{sha}"
        for url in (direct, via, alone):
            response = check(url, {"Range": "bytes=0-99"})
            assert response.status_code == 206 and len(response.content) == 100, (url, response.status_code)
        headers = check(via, {"Range": "bytes=0-0"}).headers
        print(f"# X-Accel response headers kept by nginx: ETag={headers.get('etag')} "
              f"Cache-Control={headers.get('cache-control')} Type={headers.get('content-type')}")
        results = {}
        for name, url in (("nginx direct", direct), ("classbox via nginx (X-Accel-Redirect)", via),
                          ("classbox gunicorn alone", alone)):
            results[name] = wrk(url, 2, 8, args.seconds)
        base = results["nginx direct"]["bytes_per_s"]
        print(f"# library_blobs {now()} — {args.mb} MB blob, wrk -t2 -c8 -d{args.seconds}s, 2-core shared machine")
        print("| server | throughput | req/s | p50 | p99 | errors | ratio to nginx | goal |")
        print("|---|---|---|---|---|---|---|---|")
        goals = {"nginx direct": "1", "classbox via nginx (X-Accel-Redirect)": "≥ 0.95", "classbox gunicorn alone": "≥ 0.5"}
        for name, r in results.items():
            print(f"| {name} | {r['bytes_per_s'] / 1e9:.2f} GB/s | {r['rps']:.1f} | {r['p50_ms']:.0f} ms | "
                  f"{r['p99_ms']:.0f} ms | {r['non_2xx']} non-2xx, sockets {r['socket_errors']} | "
                  f"{r['bytes_per_s'] / base:.2f} | {goals[name]} |")
        print(f"# classbox web RSS after the run: {rss_mb(plain_app.pid):.0f} MB (gunicorn alone), "
              f"{rss_mb(accel_app.pid):.0f} MB (behind nginx)")
    finally:
        stop_all(procs, work)


if __name__ == "__main__":
    main()
