"""Sticky slots for nginx: one unix socket per slot, each slot served by one gunicorn worker.

Socket.IO's polling transport sends one session's requests over several TCP connections; with
several workers on one listening socket the kernel hands each connection to any worker, and a
worker that did not open the session answers 400. Behind nginx (`[web] behind_nginx`) the
arbiter also listens on SLOTS unix sockets `<runtime dir>/web-<slot>.sock`; worker k accepts on
the slots j with j % workers == k (12 slots split evenly over 1, 2, 3 or 4 workers), and nginx
picks the slot by a hash of the device's address (`hash $remote_addr consistent`). A worker
that dies leaves its slots' sockets open in the arbiter: connections wait for its replacement,
which takes the same slots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_index: int | None = None  # this gunicorn worker's index (0 … workers - 1), set after its fork
SLOTS = 12  # divisible by 1, 2, 3 and 4 workers; the nginx site lists the same sockets
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the final NUL


def slot_socket(runtime_dir: Path, slot: int) -> Path:
    """The unix socket of one slot."""
    return Path(runtime_dir) / f"web-{slot}.sock"


def slot_binds(runtime_dir: Path) -> list[str]:
    """Gunicorn bind addresses of every slot (unix:<path>)."""
    return [f"unix:{slot_socket(runtime_dir, slot)}" for slot in range(SLOTS)]


def slots_of(worker_index: int, workers: int) -> list[int]:
    """The slots worker `worker_index` (0-based) of `workers` accepts on."""
    return [slot for slot in range(SLOTS) if slot % workers == worker_index]


def assign_index(server: Any, worker: Any) -> None:
    """gunicorn pre_fork (in the arbiter): give the new worker the lowest index no live worker holds."""
    workers = server.num_workers
    taken = {getattr(w, "classbox_index", None) for w in server.WORKERS.values()}
    free = [i for i in range(workers) if i not in taken]
    worker.classbox_index = free[0] if free else worker.age % workers  # a reload: old and new overlap


def keep_own_slots(server: Any, worker: Any) -> None:
    """gunicorn post_fork (in the worker): accept on the shared port and on this worker's slots only;
    its index is kept for worker_index() (its answer journal's file, storage/journal.py)."""
    index = getattr(worker, "classbox_index", None)
    if index is None:
        return
    global _index
    _index = int(index)
    own = set(slots_of(index, server.num_workers))
    worker.sockets = [s for s in worker.sockets if _slot_of(s) is None or _slot_of(s) in own]


def worker_index() -> int | None:
    """This gunicorn worker's index (keep_own_slots), None outside a `classbox web` worker."""
    return _index


def _slot_of(listener: Any) -> int | None:
    """The slot a gunicorn listener serves, None for the shared TCP port."""
    address = listener.cfg_addr
    if not isinstance(address, str):
        return None
    name = Path(address).name
    if name.startswith("web-") and name.endswith(".sock") and name[4:-5].isdigit():
        return int(name[4:-5])
    return None
