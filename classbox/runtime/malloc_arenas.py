"""Fewer glibc malloc arenas in the gevent web workers, whose only real threads are the offload pool.

glibc gives each new thread its own arena (up to 8 per core), and an arena keeps what was freed
in it: ten offload threads that each once copied an upload or committed a batch leave ten
half-empty heaps in every worker. The event loop allocates from the main arena; two arenas
serve the pool's few concurrent calls. Same effect as MALLOC_ARENA_MAX=2 in the environment,
but set by the arbiter before it forks, so it holds however classbox web is started.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's <malloc.h>
WEB_ARENAS = 2


def limit_arenas(count: int = WEB_ARENAS) -> bool:
    """Cap this process's (and its future children's) malloc arenas; False where libc is not glibc."""
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):  # not a glibc system (musl, macOS)
        return False
    if not libc.startswith("glibc"):
        return False
    return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, count))
