"""Receiving an uploaded pack: streamed into a staging folder of the data dir, never held in memory.

The body is read in 1 MB pieces and each piece is written at once (off gevent's loop) to a file
of the import's staging folder, so a crash leaves nothing that `staging.cleanup` does not remove.
The file may not grow past `[library] max_pack_mb`, nor eat into `[library] min_free_mb`
(re-checked every few MB while writing); a refused, cut or failed upload leaves no file behind.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, Callable

from classbox.config import Config
from classbox.web.i18n_marks import N_
from classbox.library.manifest import PackError
from classbox.library.staging import MB, check_free_space
from classbox.runtime.offload import off_loop

PIECE = 1024 * 1024        # bytes read from the request, then written, at a time
RECHECK = 8 * 1024 * 1024  # free disk checked again after this many bytes
SUFFIXES = (".zip", ".zim", ".h5p")


class UploadRefused(PackError):
    """An upload the box will not keep; `status` is the HTTP answer."""

    status = 400


class TooLarge(UploadRefused):
    status = 413


class NoRoom(UploadRefused):
    status = 507


def too_large(config: Config) -> TooLarge:
    """The refusal of a file over [library] max_pack_mb, naming the limit."""
    limit = config["library"]["max_pack_mb"]
    return TooLarge(f"the file is larger than [library] max_pack_mb ({limit} MB)",
                    N_("ce fichier dépasse la taille maximale d'un paquet (%(limit)s Mo)"), limit=limit)


def upload_name(filename: str | None) -> str:
    """The file's suffix-checked name (UploadRefused unless it is a .zip, .zim or .h5p)."""
    name = os.path.basename((filename or "").replace("\\", "/"))[:100]
    if not name.lower().endswith(SUFFIXES):
        raise UploadRefused(f"{name or 'the file'}: not a .zip pack, a .zim or an .h5p file",
                            N_("choisissez un paquet .zip, un fichier .zim ou un exercice .h5p"))
    return name


class DiskSink:
    """A file of the staging folder that refuses to grow past the pack limit or into min_free_mb."""

    def __init__(self, config: Config, path: Path):
        self.config, self.path = config, path
        self.limit = config["library"]["max_pack_mb"] * MB
        self.written = 0
        self._checked_at = -RECHECK
        self.handle: IO[bytes] = open(path, "wb")

    def write(self, data: bytes) -> int:
        """Append `data` (refusing what would cross a limit); returns its length."""
        if self.written + len(data) > self.limit:
            raise too_large(self.config)
        if self.written - self._checked_at >= RECHECK:
            self._checked_at = self.written
            no_room(self.config, RECHECK)
        try:
            off_loop(self.handle.write, data)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise NoRoom("the disk is full", N_("le disque est plein")) from None
            raise
        self.written += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move in the file (werkzeug rewinds a parsed file part)."""
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        """The position in the file."""
        return self.handle.tell()

    def flush(self) -> None:
        """Hand the buffered bytes to the kernel."""
        self.handle.flush()

    def close(self) -> None:
        """Close the file (it stays in the staging folder)."""
        self.handle.close()


def no_room(config: Config, needed: int) -> None:
    """NoRoom when writing `needed` more bytes would cross [library] min_free_mb."""
    try:
        check_free_space(config, needed)
    except PackError as err:
        raise NoRoom(str(err), err.shown, **err.params) from None


def receive_body(read: Callable[[int], bytes], sink: DiskSink, length: int | None) -> int:
    """Copy the request body into `sink` piece by piece; UploadRefused if it stops short."""
    while length is None or sink.written < length:
        want = PIECE if length is None else min(PIECE, length - sink.written)
        piece = read(want)
        if not piece:
            break
        sink.write(piece)
    if length is not None and sink.written < length:
        raise UploadRefused(f"upload cut after {sink.written} of {length} bytes",
                            N_("l'envoi a été interrompu avant la fin du fichier"))
    sink.flush()
    return sink.written
