"""The one way off gevent's event loop: blocking work (fsync, lock waits, copying, hashing,
libzim searches, building archives) runs in one pool of OFFLOAD_THREADS real threads.

Under the gunicorn gevent worker the pool is a gevent ThreadPool: the calling greenlet waits
and every other connection keeps being served. Without gevent (tests, tools, the threading
worker) `off_loop` runs the work in place; `off_loop_within` uses a plain thread pool of the
same size, whose threads are named POOL_NAME.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")
OFFLOAD_THREADS = 10  # gevent's default: writer commits, uploads and two ZIM searches never wait on each other
POOL_NAME = "classbox-offload"

_pool: Any = None
_pool_lock = threading.Lock()


class OffloadTimeout(Exception):
    """The work did not finish within its time budget (it keeps running in its thread)."""


def gevent_active() -> bool:
    """True when gevent has monkey-patched threading (the gunicorn gevent worker)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("threading")


def _the_pool() -> Any:
    """The process's offload pool (made on first use, of the kind the event loop calls for)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            if gevent_active():
                from gevent.threadpool import ThreadPool

                _pool = ThreadPool(OFFLOAD_THREADS)
            else:
                _pool = concurrent.futures.ThreadPoolExecutor(OFFLOAD_THREADS, thread_name_prefix=POOL_NAME)
        return _pool


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in the offload pool when under gevent, else right here.

    The calling greenlet waits; every other connection keeps being served meanwhile. fn must
    not touch the request context or gevent sockets.
    """
    if gevent_active():
        return _the_pool().apply(fn, args)
    return fn(*args)


def off_loop_within(timeout: float, fn: Callable[[], T], done: Callable[[], None] | None = None) -> T:
    """fn() in the offload pool, waiting at most `timeout` seconds (OffloadTimeout after that).

    `done()`, if given, runs once fn has finished, even after a timeout: callers that bound how
    much of the pool they hold release their share there.
    """
    pool = _the_pool()
    if gevent_active():
        import gevent

        result = pool.spawn(fn)
        if done is not None:
            result.rawlink(lambda _: done())
        try:
            return result.get(timeout=timeout)
        except gevent.Timeout:
            raise OffloadTimeout(f"no result within {timeout} s") from None
    future = pool.submit(fn)
    if done is not None:
        future.add_done_callback(lambda _: done())
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise OffloadTimeout(f"no result within {timeout} s") from None
