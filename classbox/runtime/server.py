"""Running the web app under gunicorn, and `serve` = web + agent in one process tree."""

from __future__ import annotations

import gc
import importlib
import os
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from classbox.config import Config
from classbox.runtime import sticky

WORKER_CLASSES = {
    "gevent": {"worker_class": "gevent", "worker_connections": 2000},
    "threading": {"worker_class": "gthread", "threads": 400},
}

class ClassboxGunicorn(BaseApplication):
    """A gunicorn application that builds classbox with create_app inside the worker."""

    def __init__(self, config: Config, options: dict[str, Any]):
        self.classbox_config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from classbox import create_app

        return create_app(self.classbox_config)

# gunicorn's arbiter sends READY=1 as soon as it has bound its socket, before any worker has
# built the app; run_web hides $NOTIFY_SOCKET from it and the worker says READY instead
# (the unit has NotifyAccess=all so systemd accepts the worker's message).
_notify_socket: str | None = None


# The worker holds ~150,000 long-lived objects (modules, the app, templates); with CPython's
# default thresholds a full collection walks them all every few hundred Socket.IO events (a
# ~100 ms stall of every connection, ~0.4 ms of CPU per pupil answer in benchmarks/
# classroom_push.py). Freeze what exists once the app is built and collect young objects less
# often; reference counting still frees everything that is not in a cycle at once.
GC_THRESHOLDS = (20_000, 20, 100)
SHM = "/dev/shm"  # a tmpfs on every Linux (systemd mounts it; PrivateTmp= leaves it)


def tune_gc() -> None:
    """Move the built app out of the collector's sight and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _post_worker_init(worker) -> None:
    """The worker has built the app: tune the collector, tell systemd the web service can serve."""
    from classbox.runtime import one_send
    from classbox.runtime.systemd_notify import sd_notify

    tune_gc()
    one_send.install()
    if "gevent" in type(worker).__module__:
        from classbox.runtime import gevent_sendfile

        gevent_sendfile.install()
    _serve_settle_requests(worker.wsgi)
    if _notify_socket:
        os.environ["NOTIFY_SOCKET"] = _notify_socket
    sd_notify("READY=1\nSTATUS=classbox web serving")


def _serve_settle_requests(app: Any) -> None:
    """This worker commits its answer journal when `classbox privacy erase` asks (classroom/settle_socket.py)."""
    from classbox.classroom import settle_socket
    from classbox.extensions import socketio

    classroom = getattr(app, "extensions", {}).get("classroom")
    if classroom is not None and classroom.writer.use_journal:
        settle_socket.serve(classroom.writer, app.config["CLASSBOX"].data_dir, socketio.start_background_task,
                            classroom.writer.clock)


def worker_tmp_dir() -> str | None:
    """RAM for gunicorn's worker heartbeat file (touched every second), as gunicorn's docs advise."""
    return SHM if os.path.isdir(SHM) and os.access(SHM, os.W_OK | os.X_OK) else None


def sticky_binds(config: Config) -> list[str]:
    """Behind nginx: the slot sockets nginx hashes devices over (runtime/sticky.py), else none."""
    if not config["web"]["behind_nginx"]:
        return []
    longest = sticky.slot_socket(config.runtime_dir, sticky.SLOTS - 1)
    if len(bytes(longest)) > sticky.MAX_SOCKET_PATH:
        from classbox.config import ConfigError

        raise ConfigError(f"runtime_dir: {config.runtime_dir} is too long for a unix socket ({longest}); "
                          f"use a shorter folder (e.g. /run/classbox)")
    config.runtime_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    os.chmod(config.runtime_dir, 0o750)  # an existing folder too: nobody else reaches the sockets
    return sticky.slot_binds(config.runtime_dir)


def gunicorn_options(config: Config) -> dict[str, Any]:
    """Gunicorn settings for [web] workers workers of the configured class."""
    kind = config["web"]["worker_class"]
    if kind not in WORKER_CLASSES:
        from classbox.config import ConfigError

        raise ConfigError(f"[web] worker_class: expected one of {sorted(WORKER_CLASSES)}, got {kind!r}")
    return {
        "bind": [f"{config['web']['host']}:{config['web']['port']}", *sticky_binds(config)],
        "workers": config["web"]["workers"],  # joined by [web] message_queue when > 1
        "timeout": 120,
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "post_worker_init": _post_worker_init,
        "pre_fork": sticky.assign_index,
        "post_fork": sticky.keep_own_slots,
        "proc_name": "classbox-web",
        "control_socket_disable": True,
        "umask": 0o007,  # slot sockets 0770: the classbox group (nginx) only, as proxied.py trusts them
        "worker_tmp_dir": worker_tmp_dir(),
        **WORKER_CLASSES[kind],
    }

# python-socketio imports its clients eagerly, and with them aiohttp (~11 MB in every worker),
# requests and websocket-client (~4.4 MB); the server never uses them and engineio's clients
# take a missing one as "not installed".
SERVER_UNUSED_MODULES = ("aiohttp", "requests", "websocket")
# What create_app imports (flask, flask_socketio, socketio, jinja2, babel...) and the Redis manager.
PRELOADED_MODULES = ("classbox.extensions", "classbox.storage.db", "classbox.web.i18n", "classbox.web.pwa",
                     "classbox.web.datadir", "classbox.web.errors", "classbox.web.session_cookie",
                     "classbox.runtime.message_queue", "socketio.redis_manager")


def preload_modules(kind: str) -> None:
    """Import the app's code in the arbiter so the workers share those pages copy-on-write.

    Only modules: the app, its SQLite connections, the Redis manager and the journal are still
    built in each worker after fork (ClassboxGunicorn.load). gevent patches the arbiter first,
    as its worker would, so no module keeps an unpatched socket or lock.
    """
    for name in SERVER_UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]
    if kind != "gevent":
        return
    from gevent import monkey

    from classbox.runtime.malloc_arenas import limit_arenas

    limit_arenas()  # inherited by the workers: their offload threads share two arenas
    monkey.patch_all()
    for name in PRELOADED_MODULES:
        importlib.import_module(name)
    from classbox import features

    features.feature_modules()

    gc.collect()
    gc.freeze()  # the collector will not touch (and copy) the arbiter's objects in the workers


def run_web(config: Config) -> None:
    """Serve the web app until gunicorn is told to stop."""
    global _notify_socket
    from classbox.runtime.message_queue import check_reachable

    preload_modules(config["web"]["worker_class"])  # first: gevent patches before redis is imported
    check_reachable(config["web"])  # a wrong URL or a stopped Redis: a clear error, not mute workers
    _notify_socket = os.environ.pop("NOTIFY_SOCKET", None) or _notify_socket
    ClassboxGunicorn(config, gunicorn_options(config)).run()

def serve_all(config: Config, config_path: str | None, overrides: dict[str, Any]) -> int:
    """Run the agent as a child process and the web app in the foreground."""
    from classbox.cli_support import env_for_children

    env = env_for_children(config_path, overrides)
    config["web"].update(workers=1, message_queue="")  # a laptop: one process, no Redis, whatever the file says
    agent = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=env)
    print(f"classbox: serving http://{config['web']['host']}:{config['web']['port']}/ "
          f"(data dir {config.data_dir}, agent pid {agent.pid})", flush=True)
    try:
        run_web(config)
    except SystemExit as done:
        return int(done.code or 0)
    finally:
        if agent.poll() is None:
            agent.terminate()
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
    return 0
