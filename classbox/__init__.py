"""classbox: an offline-first classroom server for rural schools."""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Any, Mapping

from classbox.version import __version__

if TYPE_CHECKING:  # Flask is imported by create_app only: `classbox agent` runs without it
    from flask import Flask

__all__ = ["create_app", "close_app", "__version__"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application.

    `config` is either a loaded classbox.config.Config, or a mapping of flat overrides
    ({"data_dir": ..., "web.behind_nginx": True}) applied on top of the usual sources.
    """
    from flask import Flask

    from classbox import features
    from classbox.config import Config, load_config
    from classbox.extensions import MAX_FRAME_BYTES, cap_websocket_messages, csrf, refuse_reserved_events, socketio
    from classbox.storage.db import close_db
    from classbox.web import i18n, pwa
    from classbox.web.datadir import box_id, prepare_data_dir, read_secret
    from classbox.web.errors import register_error_handlers
    from classbox.web.session_cookie import CachedSerializerSessionInterface

    cfg = config if isinstance(config, Config) else load_config(overrides=config)
    prepare_data_dir(cfg).conn.close()

    app = Flask(__name__)
    app.config.update(
        CLASSBOX=cfg,
        BOX_ID=box_id(cfg),
        SECRET_KEY=read_secret(cfg.data_dir, "secret_key"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="classbox_session",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(hours=12),
        MAX_CONTENT_LENGTH=cfg["web"]["max_upload_mb"] * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        STARTED_AT=time.monotonic(),
    )
    # every Socket.IO event opens the session cookie: build its serializer once, not per event
    app.session_interface = CachedSerializerSessionInterface()
    app.teardown_appcontext(close_db)
    csrf.init_app(app)
    i18n.init_i18n(app)
    from classbox.runtime.message_queue import client_manager
    from classbox.runtime.shared import shared_state
    from classbox.runtime.worker_bus import worker_bus

    app.extensions["classbox_shared"] = shared_state(cfg["web"])  # None with one worker: state in memory

    socketio.init_app(app, async_mode=_async_mode(cfg), client_manager=client_manager(cfg["web"]),  # Redis: workers > 1
                      max_http_buffer_size=MAX_FRAME_BYTES)  # refused before decoding, polling or websocket
    app.extensions["classbox_bus"] = worker_bus(app.extensions["classbox_shared"])  # requests to other workers
    cap_websocket_messages(socketio.server, MAX_FRAME_BYTES)
    refuse_reserved_events(socketio.server)
    register_error_handlers(app)
    from classbox.web.page_policy import init_page_policy

    init_page_policy(app)

    @app.context_processor
    def _globals() -> dict:
        return {"box_name": cfg["box"]["name"], "version": __version__}

    for blueprint in [i18n.bp, pwa.bp, *(bp for made in features.hooks("blueprints") for bp in made())]:
        app.register_blueprint(blueprint)
    for init in features.hooks("init_app"):
        init(app)
    if cfg["web"]["behind_nginx"]:
        from classbox.web import proxied

        proxied.install(app)
    return app


def close_app(app: Flask) -> None:
    """Let go of what the app holds open in this process: its classroom writer, its open ZIM books
    (closed with their last reference), its idle database connections."""
    classroom = app.extensions.get("classroom")
    if classroom is not None:
        classroom.writer.close()
    app.extensions.pop("classbox_zim", None)  # library/zimviews.py's EXTENSION_KEY
    pool = app.extensions.get("classbox_db_pool")
    if pool is not None:
        pool.close()


def _async_mode(cfg) -> str:
    """gevent when running under gunicorn's gevent worker, threading otherwise (tests, tools)."""
    from classbox.runtime.offload import gevent_active

    return "gevent" if gevent_active() else "threading"
