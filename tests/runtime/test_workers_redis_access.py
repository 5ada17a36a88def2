"""Automatic workers need the box's Redis socket usable by this user, not only present."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[2]

WORKERS = """
import os
from classbox import config_values
from classbox.config import load_config
config_values.DEFAULT_REDIS_SOCKET = os.environ["REDIS_SOCKET"]
config_values.auto_workers = lambda: 4
print(load_config(os.devnull, env={"CLASSBOX_WEB_BEHIND_NGINX": "true"})["web"]["workers"])
"""


def automatic_workers(socket: Path, outsider: bool) -> int:
    """[web] workers = 0 resolved on a 4-core box behind nginx, by root or by a user outside Redis's group."""
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if outsider and os.geteuid() == 0 else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    done = subprocess.run([*as_user, sys.executable, "-c", WORKERS], env={**env, "REDIS_SOCKET": str(socket)},
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_a_box_redis_this_user_may_not_use_keeps_one_worker():
    """Debian's socket is 0770 redis:redis: a user outside that group sees it and cannot connect;
    `classbox web` must start one worker, not exit with "Redis unreachable"."""
    folder = Path(tempfile.mkdtemp(prefix="classbox-redis-"))  # /tmp: reachable by the other user
    try:
        folder.chmod(0o755)
        socket = folder / "redis-server.sock"
        socket.touch()
        socket.chmod(0o770 if os.geteuid() == 0 else 0o000)  # root's group, or nobody's mode
        assert automatic_workers(socket, outsider=True) == 1
        if os.geteuid() == 0:
            assert automatic_workers(socket, outsider=False) == 4  # the same socket, usable: several
    finally:
        shutil.rmtree(folder)
