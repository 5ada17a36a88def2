"""`classbox library import|list|remove|verify`, and imports from a URL (resumable, verified)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from classbox.cli import cli
from tests.helpers import free_port
from tests.library.conftest import library_state, make_zim, manifest, write_zip


@pytest.fixture
def lib(runner, lib_config):
    def invoke(*args):
        return runner.invoke(cli, ["--data-dir", str(lib_config.data_dir), "library", *args],
                             env={"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_LIBRARY_MIN_FREE_MB": "1"})
    return invoke


class PackServer:
    """A loopback HTTP server for one file: Range support, and a first transfer cut halfway."""

    def __init__(self, data: bytes, cut_first: bool = True):
        self.data, self.cut_first, self.requests = data, cut_first, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.headers.get("Range"))
                start = 0
                match = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(outer.data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(outer.data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(outer.data) - 1}/{len(outer.data)}")
                else:
                    self.send_response(200)
                body = outer.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_first and len(outer.requests) == 1:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/packs/sciences.zip"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_import_list_remove(lib, tmp_path):
    pack = write_zip(tmp_path / "p.zip", manifest())
    result = lib("import", str(pack))
    assert result.exit_code == 0 and "sciences-c3 1: added (3 resources)" in result.output
    assert "unchanged" in lib("import", str(pack)).output
    listed = lib("list")
    assert re.search(r"sciences-c3\t1\tpack\t3 resources", listed.output)
    assert lib("remove", "sciences-c3").exit_code == 0
    assert "library is empty" in lib("list").output
    missing = lib("remove", "sciences-c3")
    assert missing.exit_code == 1 and "no pack named" in missing.output


def test_import_zim_from_the_cli(lib, tmp_path):
    result = lib("import", str(make_zim(tmp_path / "v.zim")))
    assert result.exit_code == 0 and "zim-vikidia_fr_test" in result.output
    assert "zim-vikidia_fr_test" in lib("list").output


def test_bad_pack_exits_1_with_the_reason(lib, tmp_path):
    result = lib("import", str(write_zip(tmp_path / "p.zip", manifest(format="classbox-pack/2"))))
    assert result.exit_code == 1 and "import refused, library unchanged: unknown pack format" in result.output


def test_verify_finds_and_quarantines_corruption(lib, tmp_path, lib_config):
    lib("import", str(write_zip(tmp_path / "p.zip", manifest())))
    assert lib("verify").exit_code == 0
    blob = next((lib_config.data_dir / "blobs").rglob("*/*/*"))
    blob.write_bytes(b"abime")
    result = lib("verify")
    assert result.exit_code == 1 and f"blob {blob.name} corrupt" in result.output
    assert (lib_config.data_dir / "quarantine" / blob.name).exists()


def test_url_import_resumes_after_a_cut(lib, tmp_path, lib_config):
    data = write_zip(tmp_path / "p.zip", manifest(), {
        "lecons/eau.html": os.urandom(200_000), "images/éléphant.svg": b"<svg/>", "textes/fable.txt": b"x"}
    ).read_bytes()
    with PackServer(data) as server:
        first = lib("import", server.url, "--sha256", hashlib.sha256(data).hexdigest())
        assert first.exit_code == 1 and "run the same import again to resume" in first.output
        second = lib("import", server.url, "--sha256", hashlib.sha256(data).hexdigest())
        assert second.exit_code == 0, (second.output, server.requests)
        assert "added (3 resources)" in second.output
    assert server.requests[0] is None and server.requests[1].startswith("bytes=") and server.requests[1] != "bytes=0-"
    assert list((lib_config.data_dir / "downloads").iterdir()) == []


def test_url_import_with_wrong_sha256_is_refused(lib, tmp_path, lib_config):
    data = write_zip(tmp_path / "p.zip", manifest()).read_bytes()
    with PackServer(data, cut_first=False) as server:
        result = lib("import", server.url, "--sha256", "0" * 64)
    assert result.exit_code == 1 and "sha256 mismatch" in result.output
    assert library_state(lib_config.data_dir)["tables"]["resource"] == []
    assert list((lib_config.data_dir / "downloads").iterdir()) == []


def test_every_library_command_has_help(lib):
    for command in ("import", "list", "remove", "verify"):
        result = lib(command, "--help")
        assert result.exit_code == 0 and len(result.output.splitlines()) > 3
