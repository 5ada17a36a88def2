"""The uplink: one shared httpx client (connection reuse), the kbit/s cap, byte counts, clock."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

import httpx

from classbox.sync.backoff import Permanent, Transient, is_transient_status, retry_after_s
from classbox.sync.ratelimit import LinkClosed, RateLimiter

HEADER_OVERHEAD = 200  # rough bytes of request line + headers, for the daily counter


class Link:
    """Every request of the sync goes through here, throttled and counted."""

    def __init__(self, timeout_s: float = 30.0, max_kbps: int = 0,
                 on_date: Callable[[str | None, float, float], object] | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_s), transport=transport,
                                   follow_redirects=False,
                                   headers={"User-Agent": "classbox-sync"})
        self.limiter = RateLimiter(max_kbps)
        self.on_date = on_date
        self.sent = 0
        self.received = 0
        self._lock = threading.Lock()
        self.stop_event: threading.Event | None = None
        self.deadline_mono: float | None = None
        self.limiter.should_stop = self.should_stop

    def should_stop(self) -> bool:
        """True once the agent stops or the sync window has closed."""
        if self.stop_event is not None and self.stop_event.is_set():
            return True
        return self.deadline_mono is not None and time.monotonic() >= self.deadline_mono

    def _count_sent(self, nbytes: int) -> None:
        with self._lock:
            self.sent += nbytes

    def _count_received(self, nbytes: int) -> None:
        with self._lock:
            self.received += nbytes

    def request(self, method: str, url: str, content: bytes | None = None,
                headers: dict[str, str] | None = None, auth: httpx.Auth | None = None,
                timeout: float | None = None) -> httpx.Response:
        """Send one request (body throttled), read the answer (throttled); raise Transient on
        network errors and timeouts; the caller judges the status code."""
        if self.should_stop():
            raise LinkClosed("sync stopped")
        headers = dict(headers or {})
        if content is not None:
            headers["Content-Length"] = str(len(content))
        self._count_sent(HEADER_OVERHEAD)
        for attempt in (1, 2):
            try:
                return self._request(method, url, content, headers, auth, timeout)
            except _Stale:
                if attempt == 2:
                    raise Transient(f"{method} {_short(url)}: connection closed by the peer") from None
        raise AssertionError("unreachable")

    def _request(self, method: str, url: str, content: bytes | None, headers: dict[str, str],
                 auth: httpx.Auth | None, timeout: float | None) -> httpx.Response:
        """One try; a pooled connection the peer had closed raises _Stale (safe to resend:
        every request of the sync is idempotent)."""
        body: Iterator[bytes] | None = None
        if content is not None:
            body = self.limiter.stream(content, self._count_sent)
        extra = {"timeout": timeout} if timeout is not None else {}
        mono_sent = time.monotonic()
        try:
            with self.client.stream(method, url, content=body, headers=headers, auth=auth,
                                    **extra) as response:
                if response.is_stream_consumed:  # a transport that already read it (tests)
                    body_bytes = response.content
                    self._count_received(len(body_bytes))
                else:
                    chunks = []
                    for chunk in response.iter_raw():
                        self.limiter.acquire(len(chunk))
                        self._count_received(len(chunk))
                        chunks.append(chunk)
                    body_bytes = _decode(response, b"".join(chunks))
            response = httpx.Response(response.status_code, headers=response.headers,
                                      content=body_bytes, request=response.request)
        except LinkClosed:
            raise
        except httpx.TimeoutException as err:
            raise Transient(f"{method} {_short(url)}: timeout ({type(err).__name__})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
            if time.monotonic() - mono_sent < 1.0:
                raise _Stale() from err
            raise Transient(f"{method} {_short(url)}: {type(err).__name__} {err}") from None
        except httpx.TransportError as err:
            raise Transient(f"{method} {_short(url)}: {type(err).__name__} {err}") from None
        if self.on_date is not None:
            self.on_date(response.headers.get("Date"), mono_sent, time.monotonic())
        return response

    def download(self, url: str, handle, offset: int = 0, auth: httpx.Auth | None = None,
                 etag: str | None = None) -> httpx.Response:
        """GET url into an open binary file from `offset` (Range), throttled; returns the response."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        if offset and etag:
            headers["If-Range"] = etag
        if self.should_stop():
            raise LinkClosed("sync stopped")
        self._count_sent(HEADER_OVERHEAD)
        try:
            with self.client.stream("GET", url, headers=headers, auth=auth) as response:
                if response.status_code == 200 and offset:
                    handle.seek(0)
                    handle.truncate()
                if response.status_code in (200, 206):
                    for chunk in response.iter_raw(65536):
                        self.limiter.acquire(len(chunk))
                        self._count_received(len(chunk))
                        handle.write(chunk)
                else:
                    response.read()
        except LinkClosed:
            raise
        except httpx.TimeoutException:
            raise Transient(f"GET {_short(url)}: timeout") from None
        except httpx.TransportError as err:
            raise Transient(f"GET {_short(url)}: {type(err).__name__} {err}") from None
        return response

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.close()


class _Stale(Exception):
    """A pooled connection was closed by the peer before our request got through."""


# 4xx about the target itself or our credentials: dead like any 4xx, with a hint for the technician.
TARGET_ERRORS = (401, 403, 404, 405, 407)


def check_status(response: httpx.Response, what: str, section: str | None = None) -> None:
    """Raise Transient or Permanent for a failed answer; return quietly on 2xx. With `section`
    ("sync.xapi"), an answer in TARGET_ERRORS says which config section to check."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = response.text[:300].replace("\n", " ") if response.content else ""
    message = f"{what}: HTTP {status} {detail}".strip()
    if is_transient_status(status):
        raise Transient(message, retry_after_s(response.headers.get("Retry-After")))
    if section and status in TARGET_ERRORS:
        message += f" (check [{section}])"
    raise Permanent(message)


def _decode(response: httpx.Response, raw: bytes) -> bytes:
    """Undo a gzip/deflate Content-Encoding of an answer read raw."""
    encoding = response.headers.get("Content-Encoding", "").lower()
    if encoding in ("gzip", "deflate"):
        import zlib

        try:
            return zlib.decompress(raw, 47 if encoding == "gzip" else 15)
        except zlib.error:
            return raw
    return raw


def _short(url: str) -> str:
    """A URL without its query (nothing secret goes to logs)."""
    return url.split("?", 1)[0]
