"""[web] workers and [web] message_queue: the automatic count, the box's Redis by default, clear errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from classbox import create_app
from classbox.classroom import store
from classbox.config import ConfigError, load_config
from classbox import config_values
from classbox.config_values import DEFAULT_MESSAGE_QUEUE, auto_workers
from classbox.storage import journal as answer_journal
from classbox.storage import open_database
from classbox.storage.writer import GroupWriter
from classbox.web.datadir import prepare_data_dir
from tests.helpers import LiveServer, free_port, make_config

GB = 1024**3
MB = 1024**2
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cpus, ram, expected", [
    (1, 8 * GB, 1),  # one core
    (4, 1 * GB, 1),  # a 1 GB Pi 4
    (4, int(1.8 * GB), 3),  # a "2 GB" Pi 4 reports ~1.8 GiB: 3 workers fit in a third of it
    (4, int(3.8 * GB), 4),  # a 4 GB Pi 4
    (2, 24 * GB, 2),
    (16, 64 * GB, 4),  # capped
])
def test_auto_workers_follow_cores_and_memory(cpus, ram, expected):
    assert auto_workers(cpus, ram, memory_max=None) == expected


@pytest.mark.parametrize("memory_max, expected", [(512 * MB, 3), (256 * MB, 1), (100 * MB, 1), (2 * GB, 4), (None, 4)])
def test_auto_workers_stay_inside_the_services_memory_cap(memory_max, expected):
    """4 workers peaked at 586-615 MB (docs/performance.md): a 512M cap would kill one under load."""
    assert auto_workers(8, 16 * GB, memory_max=memory_max) == expected


def test_the_shipped_units_memory_cap_holds_the_automatic_workers():
    """The unit's MemoryMax= (and the Ansible role's) lets a 4-core 4 GB Pi run its 4 workers."""
    units = [ROOT / "systemd" / "classbox-web.service", ROOT / "ansible/roles/classbox/files/classbox-web.service"]
    caps = {re.search(r"^MemoryMax=(\d+)M$", unit.read_text(), re.M).group(1) for unit in units}
    defaults = (ROOT / "ansible/roles/classbox/defaults/main.yml").read_text()
    caps.add(re.search(r"^classbox_web_memory_max: (\d+)M\b", defaults, re.M).group(1))
    assert len(caps) == 1, caps
    cap = int(caps.pop()) * MB
    assert auto_workers(4, int(3.8 * GB), memory_max=cap) == config_values.MAX_AUTO_WORKERS
    assert cap >= config_values.ARBITER_MEMORY + config_values.MAX_AUTO_WORKERS * config_values.WORKER_MEMORY


@pytest.mark.parametrize("cgroup, files, expected", [
    ("0::/system.slice/classbox-web.service\n", {"system.slice/classbox-web.service/memory.max": "805306368\n"}, 768 * MB),
    ("0::/system.slice/classbox-web.service\n", {"system.slice/classbox-web.service/memory.max": "max\n"}, None),
    ("0::/user.slice\n", {}, None),  # no memory controller there
    ("12:memory:/docker/abc\n", {}, None),  # cgroup v1 only
    ("0::/../../etc\n", {}, None),  # not a cgroup path
    ("0::/x\n", {"x/memory.max": "-5 junk"}, None),
])
def test_the_memory_cap_is_read_from_the_services_cgroup(tmp_path, cgroup, files, expected):
    (tmp_path / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text)
    assert config_values.cgroup_memory_max(str(tmp_path / "cgroup"), str(tmp_path / "fs")) == expected


def test_the_default_follows_the_board_and_uses_the_box_redis_with_several(tmp_path, monkeypatch):
    """No [web] workers in the file: one per core, 1 below 2 GB or 2 cores; the box's Redis joins several."""
    socket = tmp_path / "redis-server.sock"
    socket.touch()
    monkeypatch.setattr(config_values, "DEFAULT_REDIS_SOCKET", str(socket))
    config = load_config(os.devnull, env={"CLASSBOX_WEB_BEHIND_NGINX": "true"})
    assert config["web"]["workers"] == auto_workers()
    assert config["web"]["message_queue"] == (DEFAULT_MESSAGE_QUEUE if auto_workers() > 1 else "")


def test_without_nginx_the_default_is_one_worker_even_with_the_box_redis(tmp_path, monkeypatch):
    """No slot sockets without nginx: several workers would split a device's Socket.IO polling (400s)."""
    socket = tmp_path / "redis-server.sock"
    socket.touch()
    monkeypatch.setattr(config_values, "DEFAULT_REDIS_SOCKET", str(socket))
    monkeypatch.setattr(config_values, "auto_workers", lambda: 4)
    assert load_config(os.devnull, env={})["web"]["workers"] == 1
    assert load_config(os.devnull, env={"CLASSBOX_WEB_BEHIND_NGINX": "true"})["web"]["workers"] == 4


def test_the_default_is_one_worker_where_the_box_redis_is_not_installed(tmp_path, monkeypatch):
    """A laptop or a box before its Redis role ran: `classbox web` starts one worker, not an error."""
    monkeypatch.setattr(config_values, "DEFAULT_REDIS_SOCKET", str(tmp_path / "absent.sock"))
    monkeypatch.setattr(config_values, "auto_workers", lambda: 4)
    config = load_config(os.devnull, env={})
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (1, "")
    config = load_config(os.devnull, env={"CLASSBOX_WEB_WORKERS": "2"})  # asked for: the error at start says why
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (2, DEFAULT_MESSAGE_QUEUE)


def test_one_worker_needs_no_queue():
    config = load_config(os.devnull, env={"CLASSBOX_WEB_WORKERS": "1"})
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (1, "")


def test_several_workers_use_the_box_redis_unless_told_otherwise(tmp_path, monkeypatch):
    (tmp_path / "redis-server.sock").touch()
    monkeypatch.setattr(config_values, "DEFAULT_REDIS_SOCKET", str(tmp_path / "redis-server.sock"))
    config = load_config(os.devnull, env={"CLASSBOX_WEB_WORKERS": "3"})
    assert (config["web"]["workers"], config["web"]["message_queue"]) == (3, DEFAULT_MESSAGE_QUEUE)
    config = load_config(os.devnull, env={"CLASSBOX_WEB_WORKERS": "0", "CLASSBOX_WEB_BEHIND_NGINX": "true"})
    assert config["web"]["workers"] == auto_workers()
    url = "redis://127.0.0.1:6380/2"
    config = load_config(os.devnull, env={"CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": url})
    assert config["web"]["message_queue"] == url


def test_several_workers_commit_each_answer_instead_of_journaling_it(tmp_path):
    """The journal's pending rows live in one worker: the others must read every acked row in SQLite."""
    one = create_app(make_config(tmp_path / "one"))
    several = create_app(make_config(tmp_path / "several", **{"web.workers": 2, "classroom.answer_journal": True}))
    assert one.extensions["classroom"].writer.use_journal is True
    assert several.extensions["classroom"].writer.use_journal is False


@pytest.mark.parametrize("env, message", [
    ({"CLASSBOX_WEB_WORKERS": "-1"}, "[web] workers: expected 0 (one per core, at most 4) to 64, got -1"),
    ({"CLASSBOX_WEB_WORKERS": "65"}, "got 65"),
    ({"CLASSBOX_WEB_WORKERS": "two"}, "expected an integer"),
    ({"CLASSBOX_WEB_MESSAGE_QUEUE": "http://127.0.0.1:6379"}, "is not a Redis URL"),
    ({"CLASSBOX_WEB_MESSAGE_QUEUE": "redis://"}, "is not a Redis URL"),
    ({"CLASSBOX_WEB_MESSAGE_QUEUE": "redis://127.0.0.1:port"}, "is not a Redis URL"),
    ({"CLASSBOX_WEB_MESSAGE_QUEUE": "unix:run/redis.sock"}, "is not a Redis URL"),
    ({"CLASSBOX_WEB_MESSAGE_QUEUE": "unix:///run/redis/redis server.sock"}, "is not a Redis URL"),
])
def test_bad_workers_or_queue_is_one_clear_line(env, message):
    with pytest.raises(ConfigError) as err:
        load_config(os.devnull, env=env)
    assert message in str(err.value) and "\n" not in str(err.value)


def _env(tmp_path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def test_web_with_an_unreachable_queue_refuses_to_start(tmp_path):
    """A stopped Redis or a wrong URL: exit 2 and one line, not workers that never see each other."""
    socket = tmp_path / "no-redis.sock"
    done = subprocess.run([sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(free_port())],
                          env=_env(tmp_path, CLASSBOX_WEB_WORKERS="2", CLASSBOX_WEB_MESSAGE_QUEUE=f"unix://{socket}"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"[web] message_queue: Redis at unix://{socket} does not answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_on_a_laptop_stays_one_worker_without_redis(tmp_path):
    """`classbox serve` ignores workers = 4 (and the Redis it would need): one gunicorn worker answers."""
    server = LiveServer(tmp_path / "data", extra_env={"CLASSBOX_WEB_WORKERS": "4",
                                                       "CLASSBOX_DISCOVERY_ENABLED": "false"})
    with server:  # the `serve` process is gunicorn's arbiter: its children are the agent and the workers
        children = psutil.Process(server.proc.pid).children()
        workers = [p for p in children if "agent" not in p.cmdline()]
        assert len(workers) == 1, [p.cmdline() for p in children]
        assert len(children) == 2  # and the agent


def test_answers_journaled_by_one_worker_reach_sqlite_when_the_box_restarts_with_several(tmp_path):
    """A power cut under one worker (journal on), then a restart with two (journal off): nothing acked is lost."""
    config = make_config(tmp_path / "data")
    prepare_data_dir(config).conn.close()
    writer = GroupWriter(config.data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    session = writer.run(lambda db: store.create_session(db, {"id": 1, "login": "t"}, "CM2"))
    pupil = writer.run(lambda db: store.add_pupil(db, session, "Léa", 30), journaled=True)  # acked by the journal
    cut = tmp_path / "cut"
    cut.mkdir()
    for name in ("classbox.db", "classbox.db-wal", answer_journal.FILENAME, "box_id"):
        shutil.copyfile(config.data_dir / name, cut / name)
    shutil.copytree(config.data_dir / "secrets", cut / "secrets")
    create_app(make_config(cut, **{"web.workers": 2}))
    db = open_database(cut)
    try:
        assert store.get_pupil(db, pupil["id"])["name"] == "Léa"
    finally:
        db.conn.close()
