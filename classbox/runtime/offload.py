"""Running blocking work (copying, hashing, fsync, building archives) off gevent's event loop."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")


def gevent_active() -> bool:
    """True when gevent has monkey-patched threading (the gunicorn gevent worker)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("threading")


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in gevent's threadpool (a real thread) when under gevent, else right here.

    The calling greenlet waits; every other connection keeps being served meanwhile. fn must
    not touch the request context or gevent sockets.
    """
    if gevent_active():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)
