"""Checks of config values that their type alone does not make: a known time zone, an HTTPS origin,
the web workers and the Redis URL that joins them, the dates of a class's school year."""

from __future__ import annotations

import datetime
import os
import re
from typing import Any, Mapping, MutableMapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def timezone_problem(name: str) -> str | None:
    """An IANA time zone the system knows (Europe/Paris, America/Cayenne, Indian/Reunion…)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"[box] timezone: unknown time zone {name!r} (e.g. 'Europe/Paris')"
    return None


def https_url_problem(url: str) -> str | None:
    """Empty, or an https:// origin: what /connect, its QR code and mDNS give every device."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        valid = (parts.scheme == "https" and bool(parts.hostname) and parts.port != 0 and " " not in url
                 and parts.path in ("", "/") and not (parts.query or parts.fragment or parts.username))
    except ValueError:  # a port that is not a number
        valid = False
    if valid:
        return None
    return f"[web] https_url: {url!r} is not an https:// origin (e.g. 'https://ecole.ecoles.example.fr/')"


def h5p_origin_problem(url: str) -> str | None:
    """Empty, or an http(s):// origin (no path): where the H5P player plays."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0 and " " not in url
                 and parts.path in ("", "/") and not (parts.query or parts.fragment or parts.username))
    except ValueError:
        valid = False
    if valid:
        return None
    return f"[library] h5p_origin: {url!r} is not an http:// or https:// origin (e.g. 'http://10.42.0.1')"


MAX_ARCHIVE_DAYS = 183  # a class is archived within the last half of its school year


def _month_day(text: str) -> datetime.date | None:
    """An MM-DD day of a non-leap year (29 February does not come every year)."""
    if not re.fullmatch(r"\d\d-\d\d", text):
        return None
    try:
        return datetime.date(2001, int(text[:2]), int(text[3:]))
    except ValueError:
        return None


def school_year_problem(year_end: str, archive: str) -> str | None:
    """Two MM-DD days: the end of the school year, and the archive day a little before it."""
    end, start = _month_day(year_end), _month_day(archive)
    if end is None:
        return f"[privacy] class_year_end: {year_end!r} is not a day MM-DD (e.g. '08-31')"
    if start is None:
        return f"[privacy] class_archive: {archive!r} is not a day MM-DD (e.g. '07-10')"
    if not 0 < (end - start).days % 365 <= MAX_ARCHIVE_DAYS:
        return (f"[privacy] class_archive: {archive!r} must come before class_year_end {year_end!r} "
                f"in the school year (at most {MAX_ARCHIVE_DAYS} days before)")
    return None


# Debian's redis-server socket, as the classbox_redis role configures it (docs/operations.md)
DEFAULT_REDIS_SOCKET = "/run/redis/redis-server.sock"  # Debian's redis-server, as the classbox_redis role sets it
DEFAULT_MESSAGE_QUEUE = f"unix://{DEFAULT_REDIS_SOCKET}"
MAX_AUTO_WORKERS = 4
MAX_WORKERS = 64
# A "2 GB" board reports less (firmware and kernel keep some): a Pi 4 2 GB shows about 1.8 GiB.
TWO_GB_BOARD = int(1.75 * 1024**3)


# What one gevent worker costs (benchmarks/workers_push.py, docs/performance.md, issue 22): ~105 MB
# RSS idle, ~140 MB under a class's load (4 workers peaked at 586-615 MB with the arbiter); the
# arbiter ~37 MB. The automatic count keeps the workers inside the unit's MemoryMax= and a third of RAM.
WORKER_MEMORY = 150 * 2**20
ARBITER_MEMORY = 40 * 2**20
RAM_SHARE = 3  # the web service may take a third of RAM: Redis, kiwix, the agent and the page cache keep the rest


def workers_that_fit(budget: int) -> int:
    """How many workers (at least 1) fit in budget bytes with their arbiter."""
    return max(1, (budget - ARBITER_MEMORY) // WORKER_MEMORY)


def cgroup_memory_max(proc_cgroup: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup") -> int | None:
    """This process's cgroup v2 memory.max (systemd's MemoryMax=) in bytes; None if unlimited or unknown."""
    try:
        with open(proc_cgroup) as f:
            path = next((line[3:].strip() for line in f if line.startswith("0::")), None)
        if path is None or ".." in path.split("/"):
            return None
        with open(os.path.join(root, path.lstrip("/"), "memory.max")) as f:
            value = f.read().strip()
        return int(value) if value.isdigit() else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def auto_workers(cpus: int | None = None, ram_bytes: int | None = None, memory_max: int | None = -1) -> int:
    """[web] workers = 0: 1 below a 2 GB board or 2 cores, else one per core, at most 4, and no more
    than fit in a third of RAM and in the service's memory cap (memory_max, None: no cap)."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0))
    if ram_bytes is None:
        ram_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if memory_max == -1:
        memory_max = cgroup_memory_max()
    if cpus < 2 or ram_bytes < TWO_GB_BOARD:
        return 1
    count = min(cpus, MAX_AUTO_WORKERS, workers_that_fit(ram_bytes // RAM_SHARE))
    return min(count, workers_that_fit(memory_max)) if memory_max else count


def message_queue_problem(url: str) -> str | None:
    """Empty, or a Redis URL: unix:///path/to.sock, redis://host:port/db or rediss://."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        valid = ((parts.scheme == "unix" and parts.path.startswith("/") and not parts.netloc)
                 or (parts.scheme in ("redis", "rediss") and bool(parts.hostname) and parts.port != 0))
    except ValueError:  # a port that is not a number
        valid = False
    valid = valid and not any(c.isspace() for c in url)
    if valid:
        return None
    return (f"[web] message_queue: {url!r} is not a Redis URL "
            f"(e.g. '{DEFAULT_MESSAGE_QUEUE}' or 'redis://127.0.0.1:6379/0')")


def resolve_workers(config: Mapping[str, MutableMapping[str, Any]]) -> str | None:
    """Turn workers = 0 into a count and an empty message_queue into the box's Redis when several
    workers need one; the problem with [web] workers, if any. The automatic count stays at 1 on a
    machine without the box's Redis (a laptop, a box before its role ran): nothing to join workers;
    and without nginx: no sticky slot sockets, so Socket.IO polling would reach random workers."""
    web = config["web"]
    if not 0 <= web["workers"] <= MAX_WORKERS:
        return f"[web] workers: expected 0 (one per core, at most 4) to {MAX_WORKERS}, got {web['workers']}"
    if web["workers"] == 0:
        web["workers"] = auto_workers()
        usable = web["message_queue"] or os.access(DEFAULT_REDIS_SOCKET, os.R_OK | os.W_OK)
        if web["workers"] > 1 and not (usable and web["behind_nginx"]):  # slot sockets: nginx only
            web["workers"] = 1
    if web["workers"] > 1 and not web["message_queue"]:
        web["message_queue"] = DEFAULT_MESSAGE_QUEUE
    return None


def value_problems(config: Mapping[str, MutableMapping[str, Any]]) -> list[str]:
    """One line per invalid value, for ConfigError ([web] workers and message_queue resolved first)."""
    found = [timezone_problem(config["box"]["timezone"]), https_url_problem(config["web"]["https_url"]),
             h5p_origin_problem(config["library"]["h5p_origin"]),
             resolve_workers(config), message_queue_problem(config["web"]["message_queue"]),
             school_year_problem(config["privacy"]["class_year_end"], config["privacy"]["class_archive"])]
    return [problem for problem in found if problem]
