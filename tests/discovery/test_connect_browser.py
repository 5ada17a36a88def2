"""The projector page in a real browser: its SVG QR codes, rasterised by Chromium, decode to its URLs."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from classbox.storage.core import set_state
from classbox.web.datadir import prepare_data_dir
from tests.discovery.peers import stop_group
from tests.helpers import free_port, make_config, require_apt, wait_http


@pytest.mark.peer
@pytest.mark.slow
def test_projector_qr_codes_rendered_by_chromium_decode_to_the_page_urls(tmp_path):
    chromium = require_apt("chromium")
    zbarimg = require_apt("zbarimg", "zbar-tools")
    data_dir = tmp_path / "data"
    db = prepare_data_dir(make_config(data_dir))
    with db.conn:  # as the agent records it once announcing: the .local URL is then on the page
        set_state(db, "discovery", {"mode": "zeroconf", "announcing": True, "addresses": []})
    db.conn.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(data_dir))
    with open(tmp_path / "web.log", "ab") as log:
        web = subprocess.Popen([sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(url + "/healthz", proc=web)
        urls = httpx.get(url + "/api/connect", timeout=10).json()["urls"]
        shown = {u["url"] for u in urls if u["main"]}
        shot = tmp_path / "connect.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={shot}",
                        "--window-size=1920,1080", url + "/connect"],  # one projector screen, no scrolling
                       capture_output=True, timeout=120, check=True)
    finally:
        stop_group(web)
    decoded = subprocess.run([zbarimg, "--raw", "-q", str(shot)], capture_output=True, text=True)
    assert set(decoded.stdout.split()) == shown
    assert any(u.startswith("http://") and ".local" in u for u in shown)
