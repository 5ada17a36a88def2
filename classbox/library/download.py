"""Downloading a pack or ZIM file from a URL: resumable (HTTP Range), size- and sha256-verified."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from classbox.config import Config
from classbox.library.manifest import PackError
from classbox.library.staging import check_free_space
from classbox.library.store import file_sha256, valid_sha

PARTIAL_DIR = "downloads"


def partial_path(config: Config, url: str) -> Path:
    """Where the bytes of a URL accumulate between attempts (kept to resume)."""
    folder = config.data_dir / PARTIAL_DIR
    folder.mkdir(exist_ok=True)
    name = urlsplit(url).path.lower()
    suffix = next((end for end in (".zim", ".h5p") if name.endswith(end)), ".zip")
    return folder / (hashlib.sha256(url.encode()).hexdigest()[:24] + suffix)


def _total_size(response: httpx.Response, offset: int) -> int | None:
    """The full size of the file from Content-Range or Content-Length."""
    match = re.match(r"bytes \d+-\d+/(\d+)$", response.headers.get("content-range", ""))
    if match:
        return int(match.group(1))
    length = response.headers.get("content-length")
    return int(length) + (offset if response.status_code == 206 else 0) if length and length.isdigit() else None


def download(config: Config, url: str, sha256: str | None = None,
             client: httpx.Client | None = None, timeout: float = 60.0) -> Path:
    """Fetch `url` into the downloads folder, resuming a previous partial file; return its path.

    The size must match what the server announced and, when given, the sha256; a mismatch
    deletes the file (PackError). An interrupted transfer keeps the bytes for the next try.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise PackError(f"unsupported URL scheme in {url!r} (http or https)")
    if sha256 is not None and not valid_sha(sha256):
        raise PackError("--sha256 must be 64 lowercase hex characters")
    target = partial_path(config, url)
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    max_bytes = config["library"]["max_pack_mb"] * 1024 * 1024
    try:
        offset = target.stat().st_size if target.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416 and offset:
                    total = offset  # already complete
                else:
                    if response.status_code not in (200, 206):
                        raise PackError(f"download failed: HTTP {response.status_code} for {url}")
                    if response.status_code == 200:
                        offset = 0
                    total = _total_size(response, offset)
                    if total is not None and total > max_bytes:
                        raise PackError(f"download too large ({total} bytes > [library] max_pack_mb)")
                    check_free_space(config, (total or 0) - offset)
                    with open(target, "ab" if offset else "wb") as handle:
                        written = offset
                        for chunk in response.iter_bytes():
                            written += len(chunk)
                            if written > (total or max_bytes):
                                raise PackError("the server sent more bytes than announced")
                            handle.write(chunk)
        except httpx.HTTPError as err:
            raise PackError(f"download interrupted ({err}); run the same import again to resume") from None
        size = target.stat().st_size
        if total is not None and size != total:
            raise PackError(f"download incomplete ({size} of {total} bytes); run the import again to resume")
        if sha256 is not None and file_sha256(target) != sha256:
            target.unlink(missing_ok=True)
            raise PackError(f"sha256 mismatch for {url}: the downloaded file was deleted")
        return target
    finally:
        if own:
            client.close()
