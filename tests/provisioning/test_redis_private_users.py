"""`PrivateUsers=yes` (classbox-web.service) and the Redis socket: the `redis` group still opens it.

systemd's PrivateUsers=yes runs the service in a user namespace that maps only root and the unit's
own user and group; every other group, the supplementary `redis` group included, shows as
`nogroup` (65534) inside. The kernel checks a socket's mode against the process's real (host)
groups, so the group should still open the role's socket (`unixsocketperm 770`, owner redis:redis).
This machine has no systemd as PID 1 (tests run in a sandbox), so the test builds the same
credentials and namespace by hand, as systemd does for the unit: a process of the classbox uid/gid
with `redis` as supplementary group, in a new user namespace whose maps are written from outside
(`0 0 1` and the unit's own uid/gid, PrivateUsers=yes's map), then a real redis-server's socket.
"""

from __future__ import annotations

import ctypes
import os
import sys
import textwrap

import pytest
import redis

from tests.redis_server import RedisServer

CLASSBOX, REDIS_GROUP = 64_101, 64_102  # numeric ids: no account is added to the machine
CLONE_NEWUSER = 0x10000000

CHILD = textwrap.dedent("""
    import ctypes, os, socket, sys
    uid, gid, groups, path, ready, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], \\
        int(sys.argv[5]), int(sys.argv[6])
    os.setgroups([int(g) for g in groups.split(",") if g])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:
        sys.exit("unshare: errno %d" % ctypes.get_errno())
    os.write(ready, b"1")
    os.read(go, 1)  # the maps are written
    print("groups", os.getgroups(), "uid", os.getuid(), flush=True)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(path)
        sock.sendall(b"PING\\r\\n")
        print("reply", sock.recv(64).decode().strip(), flush=True)
    except OSError as err:
        print("refused", err.errno, flush=True)
""")


def run_in_private_users(socket_path: str, groups: list[int]) -> str:
    """The child's output: its groups as seen inside the namespace, then `reply PONG` or `refused <errno>`."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.close(ready_r)
            os.close(go_w)
            out = os.open(os.environ["PRIVATE_USERS_OUT"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.set_inheritable(ready_w, True)
            os.set_inheritable(go_r, True)
            os.execv(sys.executable, [sys.executable, "-c", CHILD, str(CLASSBOX), str(CLASSBOX),
                                      ",".join(map(str, groups)), socket_path, str(ready_w), str(go_r)])
        finally:
            os._exit(127)  # never a second pytest running the suite on, if the exec failed
    os.close(ready_w)
    os.close(go_r)
    try:
        if os.read(ready_r, 1) == b"1":  # PrivateUsers=yes's maps: root and the unit's own user and group
            with open(f"/proc/{pid}/uid_map", "w") as handle:
                handle.write(f"0 0 1\n{CLASSBOX} {CLASSBOX} 1\n")
            with open(f"/proc/{pid}/gid_map", "w") as handle:
                handle.write(f"0 0 1\n{CLASSBOX} {CLASSBOX} 1\n")
        os.write(go_w, b"1")
    finally:
        os.close(ready_r)
        os.close(go_w)
        os.waitpid(pid, 0)
    with open(os.environ["PRIVATE_USERS_OUT"]) as handle:
        return handle.read()


@pytest.fixture
def role_socket(tmp_path, monkeypatch):
    """A real redis-server whose socket is as the role makes it: redis:redis, mode 770."""
    if os.geteuid() != 0:
        pytest.skip("needs root: sets another uid and writes a user namespace's maps")
    if ctypes.CDLL(None).unshare is None:  # pragma: no cover
        pytest.skip("no unshare(2)")
    monkeypatch.setenv("PRIVATE_USERS_OUT", str(tmp_path / "child.out"))
    with RedisServer(tmp_path / "redis") as server:
        os.chmod(server.folder, 0o755)
        os.chown(server.socket, 0, REDIS_GROUP)
        os.chmod(server.socket, 0o770)
        yield str(server.socket)


@pytest.mark.peer
def test_the_redis_group_still_opens_the_socket_under_private_users(role_socket):
    with_group = run_in_private_users(role_socket, [CLASSBOX, REDIS_GROUP])
    assert "groups [64101, 65534]" in with_group  # the redis group is unmapped inside: shown as nogroup
    assert "reply +PONG" in with_group, with_group
    without = run_in_private_users(role_socket, [CLASSBOX])  # the control: not in the group, refused
    assert "refused 13" in without, without
    with redis.Redis(unix_socket_path=role_socket) as client:  # the server itself was unharmed
        assert client.ping()
