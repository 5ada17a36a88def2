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
from classbox.library.zimblobs import ClusterCache, Unreadable, read_blob
from classbox.runtime.offload import OffloadTimeout, off_loop_within

T = TypeVar("T")
CACHE_BYTES = 32 * 1024 * 1024
CACHE_ITEM_MAX = 512 * 1024
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


class EntryCache:
    """An LRU of small entries, keyed by (book uuid, path): ZIM content never changes."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[tuple[str, str], Entry] = OrderedDict()
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
            self.size += len(entry.content)
            while self.size > self.max_bytes and self._items:
                _key, old = self._items.popitem(last=False)
                self.size -= len(old.content)


def read_entry(book: Book, path: str, cache: EntryCache, clusters: ClusterCache | None = None) -> Entry | None:
    """The entry at `path` in a book (None if absent); redirects are returned, not followed.

    With `clusters`, a content libzim would decompress holding the GIL is read off the event loop
    (classbox.library.zimblobs); libzim reads it when that cannot.
    """
    key = (book.uuid, path)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        entry = book.archive.get_entry_by_path(path)
    except KeyError:
        return None
    if entry.is_redirect:
        result = Entry(path, redirect=entry.get_redirect_entry().path)
    else:
        item = entry.get_item()
        result = Entry(path, item.mimetype, _content(book, entry, item, clusters))
    cache.put(key, result)
    return result


def _content(book: Book, entry, item, clusters: ClusterCache | None) -> bytes:
    """An item's bytes: off the event loop when the raw reader can, else from libzim."""
    index = getattr(entry, "_index", None)
    if book.raw is not None and clusters is not None and index is not None:
        try:
            return read_blob(book.raw, book.uuid, index, entry.path, clusters)
        except (Unreadable, OSError):
            pass
    return bytes(item.content)


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
