"""Reading ZIM books: entries (with a small cache of immutable content), suggestions, full-text search.

libzim calls are blocking C++ calls. Searches run in the offload pool (classbox.runtime.offload),
at most WORKERS at once, with a time budget, and at most MAX_PENDING wait at once: one search,
or sixty, can never stall the box.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, TypeVar

from libzim.search import Query, Searcher
from libzim.suggestion import SuggestionSearcher

from classbox.library.zim import Book
from classbox.library.zimblobs import ClusterCache, Location, Unreadable, blob_of, locate, read_located
from classbox.runtime.offload import OffloadTimeout, off_loop_within

T = TypeVar("T")
CACHE_BYTES = 32 * 1024 * 1024
CACHE_ITEM_MAX = 512 * 1024
ENTRY_COST = 200  # bytes a cached entry costs besides its content
MAX_PENDING = 8
WORKERS = 2


class SearchBusy(Exception):
    """A search could not run within its time budget, or too many are waiting."""


@dataclass(frozen=True)
class Entry:
    """A ZIM entry ready to send: content and mime type, or a redirect to another path."""

    path: str
    mimetype: str = ""
    content: bytes = b""
    redirect: str | None = None
    where: Location | None = None  # in a compressed cluster: the bytes are read from there


class EntryCache:
    """An LRU of small entries, keyed by (book uuid, path): ZIM content never changes.

    An entry of a compressed cluster is kept by its location while its cluster is in the cluster
    cache (its bytes held once), and gets its own bytes when that cluster leaves (keep_bytes).
    """

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._located: dict[tuple, set[tuple[str, str]]] = {}  # (uuid, cluster) -> entries read from it
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], entry: Entry) -> None:
        if len(entry.content) > CACHE_ITEM_MAX:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = entry
            self.size += len(entry.content) + ENTRY_COST
            if entry.where is not None:
                self._located.setdefault((key[0], entry.where.cluster), set()).add(key)
            while self.size > self.max_bytes and self._items:
                self._drop(*self._items.popitem(last=False))

    def _drop(self, key: tuple[str, str], old: Entry) -> None:
        self.size -= len(old.content) + ENTRY_COST
        if old.where is not None:
            keys = self._located.get((key[0], old.where.cluster))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._located[(key[0], old.where.cluster)]

    def keep_bytes(self, cluster_key: tuple, data: bytes) -> None:
        """A cluster leaves memory: the entries located in it keep their own bytes from now on."""
        with self._lock:
            for key in self._located.pop(cluster_key, ()):
                entry = self._items.get(key)
                if entry is None or entry.where is None:
                    continue
                try:
                    content = blob_of(data, entry.where.blob, entry.where.wide)
                except Unreadable:
                    content = None
                if content is None or len(content) > CACHE_ITEM_MAX:
                    del self._items[key]
                    self.size -= ENTRY_COST
                else:
                    self._items[key] = Entry(entry.path, entry.mimetype, content)
                    self.size += len(content)
            while self.size > self.max_bytes and self._items:
                self._drop(*self._items.popitem(last=False))


def read_entry(book: Book, path: str, cache: EntryCache, clusters: ClusterCache | None = None) -> Entry | None:
    """The entry at `path` in a book (None if absent); redirects are returned, not followed.

    With `clusters`, contents are read off the event loop (classbox.library.zimblobs), and an
    entry of a compressed cluster is cached by its location only: its bytes are held once, in its
    decompressed cluster. libzim reads what zimblobs cannot.
    """
    key = (book.uuid, path)
    found = cache.get(key)
    if found is None:
        found = _lookup(book, path, clusters)
        if found is None:
            return None
        cache.put(key, found)
    if found.where is None:
        return found
    return Entry(path, found.mimetype, _read(book, path, found.where, clusters))


def _lookup(book: Book, path: str, clusters: ClusterCache | None) -> Entry | None:
    """What the cache keeps of an entry: a redirect, a location in a compressed cluster, or the bytes."""
    try:
        entry = book.archive.get_entry_by_path(path)
    except KeyError:
        return None
    if entry.is_redirect:
        return Entry(path, redirect=entry.get_redirect_entry().path)
    mimetype = entry.get_item().mimetype
    index = getattr(entry, "_index", None)
    if book.raw is None or clusters is None or index is None:
        return Entry(path, mimetype, _read(book, path, None, clusters))
    try:
        where = locate(book.raw, index, entry.path)
    except (Unreadable, OSError):
        return Entry(path, mimetype, _read(book, path, None, clusters))
    if where.compressed:
        return Entry(path, mimetype, where=where)
    return Entry(path, mimetype, _read(book, path, where, clusters))


def _read(book: Book, path: str, where: Location | None, clusters: ClusterCache | None) -> bytes:
    """An entry's bytes: off the event loop from its location, else (or on any doubt) from libzim."""
    if where is not None and book.raw is not None and clusters is not None:
        try:
            return read_located(book.raw, book.uuid, where, clusters)
        except (Unreadable, OSError):
            pass
    return bytes(book.archive.get_entry_by_path(path).get_item().content)


def main_path(book: Book) -> str | None:
    """The path of the book's main page."""
    if not book.archive.has_main_entry:
        return None
    return book.archive.main_entry.get_redirect_entry().path


class BoundedRunner:
    """Runs blocking calls in the offload pool: at most `workers` at once, a timeout, a cap on waiting calls."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING):
        self.max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(workers)  # held until a call ends, even one given up on

    def run(self, fn: Callable[[], T], timeout: float) -> T:
        """fn() in a worker thread; SearchBusy if it takes longer than `timeout` or too many wait."""
        with self._lock:
            if self._pending >= self.max_pending:
                raise SearchBusy("too many searches at once")
            self._pending += 1
        try:
            deadline = time.monotonic() + timeout
            if not self._slots.acquire(timeout=timeout):
                raise SearchBusy("search took too long")
            try:
                return off_loop_within(max(0.0, deadline - time.monotonic()), fn, done=self._slots.release)
            except OffloadTimeout:
                raise SearchBusy("search took too long") from None
        finally:
            with self._lock:
                self._pending -= 1


def fulltext(book: Book, q: str, limit: int) -> dict:
    """Full-text search in a book: up to `limit` results with their titles, and the estimate."""
    if not book.has_fulltext:
        return {"estimated": 0, "results": []}
    search = Searcher(book.archive).search(Query().set_query(q))
    results = []
    for path in search.getResults(0, limit):
        try:
            title = book.archive.get_entry_by_path(path).title
        except KeyError:
            continue
        results.append({"path": path, "title": title})
    return {"estimated": search.getEstimatedMatches(), "results": results}


def suggest(book: Book, q: str, limit: int) -> list[dict]:
    """Titles starting like `q` (libzim's title index)."""
    results = []
    for path in SuggestionSearcher(book.archive).suggest(q).getResults(0, limit):
        try:
            results.append({"path": path, "title": book.archive.get_entry_by_path(path).title})
        except KeyError:
            continue
    return results
