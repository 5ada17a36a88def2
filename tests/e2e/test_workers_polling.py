"""Chromium on Socket.IO's polling transport, through the shipped nginx site, to two real gunicorn
workers joined by a real Redis: each device stays on one worker (sticky by its address), stays
connected and receives every push, whichever worker the teacher is on.

Devices: each browser context sends `X-Forwarded-For: 10.0.0.k`, which the test's nginx takes as
the client's address (realip from 127.0.0.1), as if six tablets were on the school's Wi-Fi.
"""

from __future__ import annotations

import collections
import re
import subprocess
import tempfile
import uuid

import psutil
import pytest

from classbox.auth.users import add_user
from classbox.web.datadir import prepare_data_dir
from tests.classroom.test_live_server import Device, teacher_cookie
from tests.helpers import LiveServer, free_port, make_config, require_apt, wait_http, wait_until
from tests.provisioning.test_nginx_site import main_conf, render_site
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.peer, pytest.mark.slow]

DEVICES = [f"10.0.0.{k}" for k in range(1, 7)]
POLLING_ONLY = DEVICES[:4]  # a proxy that refuses WebSocket: polling for the whole lesson
PUSHES = 6

OPEN = """([transports, code, name]) => new Promise((resolve) => {
  const seen = window.seen = { connects: 0, disconnects: 0, errors: [], texts: [], upgrades: 0 };
  const socket = window.pupil = window.io("/classroom", { transports, reconnection: false });
  socket.on("connect", () => { seen.connects += 1; socket.emit("join", { code, name }, (ack) => resolve(ack)); });
  socket.on("disconnect", (why) => { seen.disconnects += 1; seen.errors.push("disconnect " + why); });
  socket.on("connect_error", (err) => { seen.errors.push("connect_error " + err.message); resolve(null); });
  socket.on("activity", (a) => seen.texts.push(a.text || a.question || a.id));
  socket.io.engine.on("upgrade", () => { seen.upgrades += 1; });
})"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Redis, `classbox web` with 2 workers behind nginx (the role's site), nginx logging each request's slot."""
    nginx = require_apt("nginx")
    tmp = tmp_path_factory.mktemp("polling")
    data = tmp / "data"
    db = prepare_data_dir(make_config(data))
    add_user(db, "mme.martin", "teacher", "correct-horse-1")
    db.conn.close()
    runtime = tempfile.mkdtemp(prefix="cbx-")  # short: unix socket paths hold 107 bytes
    with RedisServer(tmp / "redis") as redis_server:
        with LiveServer(data, command="web", extra_env={
                "CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": redis_server.url,
                "CLASSBOX_WEB_BEHIND_NGINX": "true", "CLASSBOX_RUNTIME_DIR": runtime,
                "CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false"}) as server:
            wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2, what="two workers")
            port = free_port()
            conf = tmp / "nginx.conf"
            site = render_site(server.port, port, data / "blobs", tmp / "zim-cache", runtime)
            # the box listens on 80, where $host is the page's origin; here the port must follow too
            site = site.replace("proxy_set_header Host $host;", "proxy_set_header Host $http_host;")
            conf.write_text(main_conf(tmp, site).replace("access_log off;", (
                "log_format slots '$remote_addr $upstream_addr $request_uri';\n"
                f"    access_log {tmp}/access.log slots;\n"
                "    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;")))
            checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp)], capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr
            proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL)
            try:
                wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
                yield {"url": f"http://127.0.0.1:{port}", "server": server, "log": tmp / "access.log"}
            finally:
                proc.terminate()
                proc.wait(timeout=10)


def slots_by_device(log) -> dict[str, set[int]]:
    """From nginx's log: the slots each device's Socket.IO requests went to."""
    found: dict[str, set[int]] = collections.defaultdict(set)
    for line in log.read_text().splitlines():
        address, upstream, uri = line.split(" ", 2)
        if uri.startswith("/socket.io/"):
            slot = re.search(r"web-(\d+)\.sock", upstream)
            assert slot, line  # every Socket.IO request went to a slot socket
            found[address].add(int(slot.group(1)))
    return found


def test_browsers_starting_on_polling_stay_on_one_worker_and_get_every_push(stack, browser):
    teacher = Device(stack["server"].url, teacher_cookie(stack["server"].url))  # straight to gunicorn, any worker
    code = teacher.call("open_session", {"title": "Deux cœurs"})["code"]
    pages = {}
    for k, address in enumerate(DEVICES):
        context = browser.new_context(base_url=stack["url"], extra_http_headers={"X-Forwarded-For": address})
        page = context.new_page()
        page.goto("/healthz")
        page.add_script_tag(url="/static/vendor/socket.io.min.js")
        transports = ["polling"] if address in POLLING_ONLY else ["polling", "websocket"]
        joined = page.evaluate(OPEN, [transports, code, f"Élève{k}"])
        assert joined and joined.get("ok"), (address, joined, page.evaluate("window.seen"))
        pages[address] = page
    wait_until(lambda: sum(1 for n, d in teacher.events if n == "presence" and d["online"]) >= len(DEVICES),
               what="every browser online on the teacher's screen")
    for i in range(PUSHES):
        activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": f"{i} + 1 ?"})["activity"]
        for address, page in pages.items():
            page.wait_for_function("n => window.seen.texts.length >= n", arg=i + 1, timeout=15_000)
            answer = page.evaluate("""([id, sid, n]) => window.pupil.timeout(10000)
                .emitWithAck("submit", { activity_id: id, submission_id: sid, answer: n })""",
                                   [activity["id"], str(uuid.uuid4()), i + 1])
            assert answer.get("ok") is True, (address, answer)
    for address, page in pages.items():
        seen = page.evaluate("window.seen")
        assert seen["connects"] == 1 and seen["errors"] == [], (address, seen)
        assert seen["texts"] == [f"{i} + 1 ?" for i in range(PUSHES)], (address, seen)
        transport = page.evaluate("window.pupil.io.engine.transport.name")
        assert transport == ("polling" if address in POLLING_ONLY else "websocket"), (address, transport)
        page.context.close()
    teacher.close()
    slots = slots_by_device(stack["log"])
    assert set(slots) == set(DEVICES)
    assert all(len(used) == 1 for used in slots.values()), slots  # sticky: one slot per device
    workers = {slot % 2 for used in slots.values() for slot in used}
    assert workers == {0, 1}, slots  # and the devices spread over both workers
