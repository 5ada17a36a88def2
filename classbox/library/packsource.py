"""Reading a pack from a zip file or a folder, refusing anything that could escape or explode."""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO, NamedTuple

from classbox.library.manifest import MANIFEST_NAME, PackError, safe_member_path
from classbox.web.i18n_marks import N_

MAX_RATIO = 200          # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
ARCHIVE_RATIO_FLOOR = 8 * 1024 * 1024  # the whole archive's ratio is checked once it unpacks to more
MB = 1024 * 1024
MAX_MEMBERS = 200_000
UTF8_FLAG = 0x800
LOCAL_HEADER = 30  # bytes of a zip local file header before its name


def no_manifest() -> PackError:
    """The pack has no manifest at its root."""
    return PackError(f"no {MANIFEST_NAME} at the root of the pack",
                     N_("ce n'est pas un paquet classbox : pas de %(manifest)s à sa racine"), manifest=MANIFEST_NAME)


class RawMember(NamedTuple):
    """A zip member's data: `length` bytes at `offset` of the open file `fd`, raw deflate or stored."""

    fd: int
    offset: int
    length: int
    crc: int
    deflated: bool


class PackSource:
    """The files of a pack, by their normalised path inside the pack."""

    def read_manifest(self) -> bytes:
        """The bytes of classbox-pack.json."""
        raise NotImplementedError

    def size(self, path: str) -> int:
        """The size of a member, or PackError if it is not there."""
        raise NotImplementedError

    def open(self, path: str) -> BinaryIO:
        """A binary stream of a member."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying file."""

    def raw_member(self, path: str) -> RawMember | None:
        """Where a member's bytes lie in an open file, when it can be read directly (zip packs)."""
        return None

    def parallel_safe(self, path: str) -> bool:
        """Whether a member can be read while another is (by positional reads, in native threads)."""
        return True


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name as UTF-8 text; PackError for names in another encoding."""
    name = info.filename
    if info.flag_bits & UTF8_FLAG or name.isascii():
        return name
    try:  # zip tools that write UTF-8 without the flag: zipfile decoded it as cp437
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise PackError(f"member name {name[:60]!r} is not UTF-8") from None


class ZipPack(PackSource):
    """A pack in a zip file: every member checked before anything is read."""

    def __init__(self, path: Path, max_total: int):
        self.archive_size = path.stat().st_size if path.is_file() else 0
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise PackError(f"{path.name}: not a readable zip file ({err})",
                            N_("ce fichier n'est pas un zip lisible")) from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        try:
            self._check(max_total)
        except PackError:
            self.zip.close()
            raise

    def _check(self, max_total: int) -> None:
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise PackError(f"too many files in the zip ({len(infos)})")
        total = 0
        for info in infos:
            name = _zip_name(info)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise PackError(f"symbolic link in the zip: {name[:80]!r}",
                                N_("fichier refusé : le zip contient un lien symbolique (%(path)s)"), path=name[:80])
            if info.is_dir():
                safe_member_path(name.rstrip("/") or ".") if name.strip("/") else None
                continue
            clean = safe_member_path(name)
            if clean in self.members:
                raise PackError(f"duplicate path in the zip: {clean!r}")
            if info.flag_bits & 0x1:
                raise PackError(f"encrypted member: {clean!r}")
            total += info.file_size
            if total > max_total:
                raise PackError(f"pack too large once unpacked (more than {max_total // MB} MB)",
                                N_("fichier refusé : il occuperait plus de %(limit)s Mo une fois décompressé"),
                                limit=max_total // MB)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise PackError(f"suspicious compression ratio for {clean!r} (zip bomb?)",
                                N_("fichier refusé : %(path)s est compressé plus de %(ratio)s fois (bombe zip ?)"),
                                path=clean, ratio=MAX_RATIO)
            self.members[clean] = info
        self._check_budget(total)

    def _check_budget(self, total: int) -> None:
        """The whole archive's budget: many small members cannot add up to a bomb either."""
        if total > ARCHIVE_RATIO_FLOOR and total > MAX_RATIO * max(self.archive_size, 1):
            raise PackError(
                f"zip bomb? {total // MB} MB once unpacked from a {self.archive_size // 1024} KB zip "
                f"(more than {MAX_RATIO} times its size)",
                N_("paquet refusé : il occuperait %(unpacked)s Mo une fois décompressé pour un zip de %(packed)s Ko "
                   "(taux de compression de plus de %(ratio)s, probablement une bombe zip)"),
                unpacked=total // MB, packed=self.archive_size // 1024, ratio=MAX_RATIO)

    def read_manifest(self) -> bytes:
        if MANIFEST_NAME not in self.members:
            raise no_manifest()
        with self.open(MANIFEST_NAME) as handle:
            return handle.read()

    def size(self, path: str) -> int:
        if path not in self.members:
            raise PackError(f"listed file missing from the pack: {path!r}")
        return self.members[path].file_size

    def open(self, path: str) -> BinaryIO:
        self.size(path)
        try:
            return self.zip.open(self.members[path])
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise PackError(f"cannot read {path!r} from the zip ({err})") from None

    def raw_member(self, path: str) -> RawMember | None:
        """A stored or deflated, unencrypted member is a byte range of the zip: read (and inflate) it
        directly with big positional reads, CRC-32 checked by the caller, instead of through
        zipfile's reader (several times the CPU per byte)."""
        info = self.members[path]
        deflated = info.compress_type == zipfile.ZIP_DEFLATED
        if not (deflated or info.compress_type == zipfile.ZIP_STORED) or info.flag_bits & 0x1 \
                or (not deflated and info.file_size != info.compress_size):
            return None
        fd = self.zip.fp.fileno()
        name = info.orig_filename.encode("utf-8" if info.flag_bits & UTF8_FLAG else "cp437")
        header = os.pread(fd, LOCAL_HEADER + len(name), info.header_offset)
        if len(header) < LOCAL_HEADER or header[:4] != b"PK\x03\x04" or header[LOCAL_HEADER:] != name:
            return None  # zipfile will say what is wrong with it
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return RawMember(fd, info.header_offset + LOCAL_HEADER + name_len + extra_len, info.compress_size,
                         info.CRC, deflated)

    def parallel_safe(self, path: str) -> bool:
        """Members read through zipfile share its file position and its (maybe gevent) lock: one at a time."""
        return path in self.members and self.raw_member(path) is not None

    def close(self) -> None:
        self.zip.close()


class FolderPack(PackSource):
    """A pack in a folder: no symlinks, nothing outside the folder."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def _file(self, path: str) -> Path:
        clean = safe_member_path(path)
        current = self.root
        for part in clean.split("/"):
            current = current / part
            try:
                mode = current.lstat().st_mode
            except FileNotFoundError:
                raise PackError(f"listed file missing from the pack: {clean!r}") from None
            if stat.S_ISLNK(mode):
                raise PackError(f"symbolic link in the pack: {clean!r}")
        if not stat.S_ISREG(mode):
            raise PackError(f"not a regular file: {clean!r}")
        return current

    def read_manifest(self) -> bytes:
        try:
            return self._file(MANIFEST_NAME).read_bytes()
        except PackError as err:
            if "missing" in str(err):
                raise no_manifest() from None
            raise

    def size(self, path: str) -> int:
        return self._file(path).stat().st_size

    def open(self, path: str) -> BinaryIO:
        handle = open(self._file(path), "rb", buffering=0)  # big reads go straight to the caller
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        return handle


def open_pack(path: Path, max_total: int) -> PackSource:
    """Open a pack given as a folder or a zip file."""
    if path.is_dir():
        return FolderPack(path)
    if not path.is_file():
        raise PackError(f"{path}: no such file or folder")
    return ZipPack(path, max_total)
