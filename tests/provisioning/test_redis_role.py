"""The classbox_redis role's configuration, rendered by Ansible and run by Debian's redis-server:
a unix socket and no TCP, nothing written to disk, and a memory cap that refuses writes past it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil
import pytest
import redis

from tests.helpers import require_apt, wait_until
from tests.provisioning.ansible_support import ANSIBLE_DIR, ansible_playbook

ROLE = ANSIBLE_DIR / "roles" / "classbox_redis"


def render(tmp_path: Path, **extra: str) -> Path:
    """redis.conf as the role writes it (its defaults, then `extra`), into tmp_path."""
    out = tmp_path / "redis.conf"
    play = tmp_path / "render.yml"
    play.write_text(f"""---
- name: Render the role's redis.conf
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [{ROLE / 'defaults' / 'main.yml'}]
  tasks:
    - name: Template
      ansible.builtin.template:
        src: {ROLE / 'templates' / 'redis.conf.j2'}
        dest: {out}
        mode: "0600"
""")
    args = [arg for key, value in extra.items() for arg in ("-e", f"{key}={value}")]
    done = ansible_playbook(tmp_path, "-i", "localhost,", str(play), *args, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return out


@pytest.fixture
def role_redis(tmp_path):
    """Debian's redis-server on the role's rendered config (socket, pid and dir moved into tmp_path)."""
    binary = require_apt("redis-server")
    socket = tmp_path / "redis.sock"
    conf = render(tmp_path, classbox_redis_socket=str(socket), classbox_redis_maxmemory="2mb")
    proc = subprocess.Popen([binary, str(conf), "--dir", str(tmp_path), "--pidfile", str(tmp_path / "redis.pid"),
                             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=5)

    def answers() -> bool:
        assert proc.poll() is None, "redis-server refused the role's configuration"
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, 20, what="redis-server on the role's socket")
        yield proc, client, conf
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_listens_on_its_unix_socket_only_and_keeps_nothing_on_disk(role_redis, tmp_path):
    proc, client, conf = role_redis
    assert psutil.Process(proc.pid).net_connections("inet") == []  # no TCP, no UDP
    assert client.config_get("port") == {"port": "0"}
    assert client.config_get("unixsocketperm") == {"unixsocketperm": "770"}
    assert client.config_get("save") == {"save": ""} and client.config_get("appendonly") == {"appendonly": "no"}
    client.set("presence", "x")
    assert not list(tmp_path.glob("*.rdb")) and not list(tmp_path.glob("appendonly*"))


def test_redis_refuses_writes_past_its_memory_cap(role_redis):
    _, client, _ = role_redis
    assert client.config_get("maxmemory") == {"maxmemory": str(2 * 1024 * 1024)}
    with pytest.raises(redis.ResponseError, match="maxmemory"):
        for i in range(1000):  # 10 MB asked of a 2 MB cap
            client.set(f"k{i}", b"x" * 10_000)
    assert client.ping()  # full, not down


def test_the_role_defaults_match_the_config_default_queue(tmp_path):
    """The socket the role configures is the one [web] message_queue uses by default."""
    from classbox.config_values import DEFAULT_MESSAGE_QUEUE

    conf = render(tmp_path).read_text()
    assert f"unixsocket {DEFAULT_MESSAGE_QUEUE.removeprefix('unix://')}\n" in conf
    assert "maxmemory 64mb\n" in conf and "port 0\n" in conf
