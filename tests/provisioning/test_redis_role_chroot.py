"""The classbox_redis role applied to a real Debian 12 root through the chroot connection (as
bake-image does), then that root's own redis-server run on the file the role wrote: a unix
socket for the redis group only and no TCP, nothing on disk, a memory cap; a second run changes
nothing. Needs root (debootstrap, chroot)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psutil
import pytest
import redis

from tests.helpers import IS_ROOT, require_apt, wait_until
from tests.provisioning.ansible_support import ansible_playbook
from tests.provisioning.chroot_support import Chroot, mounted
from tests.provisioning.debian_root import make_root
from tests.provisioning.test_chroot import recap

pytestmark = [pytest.mark.peer, pytest.mark.slow]


def apply_role(tmp: Path, root: Path) -> subprocess.CompletedProcess:
    """site.yml's classbox_redis role alone, through community.general.chroot."""
    inventory = tmp / "hosts.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"ecole-test": {
        "ansible_connection": "community.general.chroot", "ansible_host": str(root),
        "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    play = tmp / "redis.yml"
    play.write_text("- name: Redis of the web workers\n  hosts: all\n  become: true\n"
                    "  roles:\n    - role: classbox_redis\n")
    with mounted(root):
        return ansible_playbook(tmp, "-i", str(inventory), str(play), timeout=900)


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    """A bookworm root with the role applied twice; yields (chroot, first run, second run)."""
    if not IS_ROOT:
        pytest.skip("needs root: debootstrap and chroot")
    debootstrap = require_apt("debootstrap")
    tmp = tmp_path_factory.mktemp("redis-chroot")
    chroot = Chroot(tmp / "root")
    try:
        make_root(debootstrap, chroot.path, "bookworm")
        (chroot.path / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")  # nothing starts
        os.chmod(chroot.path / "usr/sbin/policy-rc.d", 0o755)
        assert chroot.run("useradd", "--system", "--user-group", "classbox").returncode == 0
        first = apply_role(tmp, chroot.path)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        second = apply_role(tmp, chroot.path)
        yield chroot, first, second
    finally:
        chroot.remove()


def test_the_role_installs_redis_for_the_web_workers_and_a_second_run_changes_nothing(baked):
    chroot, first, second = baked
    assert recap(first.stdout)["failed"] == 0
    assert recap(second.stdout)["changed"] == 0, second.stdout[-3000:]
    assert "redis" in chroot.run("id", "-nG", "classbox").stdout.split()
    assert chroot.run("systemctl", "is-enabled", "redis-server.service").stdout.strip() == "enabled"
    dropin = (chroot.path / "etc/systemd/system/redis-server.service.d/classbox.conf").read_text()
    assert "RestrictAddressFamilies=AF_UNIX" in dropin and "IPAddressDeny=any" in dropin
    with mounted(chroot.path):
        verify = chroot.run("systemd-analyze", "verify", "--man=no", "redis-server.service")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_roots_redis_serves_its_socket_only_keeps_nothing_and_refuses_past_its_cap(baked):
    chroot, *_ = baked
    run = chroot.path / "run/redis"
    run.mkdir(parents=True, exist_ok=True)
    assert chroot.run("chown", "redis:redis", "/run/redis").returncode == 0
    proc = subprocess.Popen(["chroot", "--userspec=redis:redis", str(chroot.path), "redis-server",
                             "/etc/redis/redis.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = run / "redis-server.sock"
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=5)

    def answers() -> bool:
        assert proc.poll() is None, "the root's redis-server refused the role's configuration"
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, 30, what="the root's redis-server on /run/redis/redis-server.sock")
        server = psutil.Process(proc.pid)
        server = next((p for p in [server, *server.children(recursive=True)] if p.name() == "redis-server"), server)
        assert server.net_connections("inet") == []  # no TCP, no UDP
        redis_gid = int(chroot.run("getent", "group", "redis").stdout.split(":")[2])  # the root's, not the host's
        assert oct(socket.stat().st_mode & 0o777) == "0o770" and socket.stat().st_gid == redis_gid
        assert client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        with pytest.raises(redis.ResponseError, match="maxmemory"):
            for i in range(100):  # 100 MB asked of a 64 MB cap
                client.set(f"k{i}", b"x" * 1_000_000)
        assert client.ping()  # full, not down
        client.flushall()
        assert client.config_get("save") == {"save": ""} and client.config_get("appendonly") == {"appendonly": "no"}
        assert not list((chroot.path / "var/lib/redis").glob("*.rdb"))
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
