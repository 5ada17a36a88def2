"""Reading and validating a `.h5p` file (h5p.json, content/, library folders) before anything is stored."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

from classbox.library.packsource import ZipPack
from classbox.library.manifest import PackError
from classbox.web.i18n_marks import N_

# H5P's default whitelist (h5p-php-library, H5PCore::$defaultContentWhitelist and $defaultLibraryWhitelistExtras)
ALLOWED_EXTENSIONS = frozenset(
    "json png jpg jpeg gif bmp tif tiff svg eot ttf woff woff2 otf webm mp4 ogg mp3 m4a wav txt pdf rtf doc docx "
    "xls xlsx ppt pptx odt ods odp xml csv diff patch swf md textile vtt webvtt".split())
LIBRARY_EXTENSIONS = frozenset({"js", "css"})  # allowed inside library folders only
MACHINE_NAME_RE = re.compile(r"^[\w.-]{1,255}$", re.ASCII)
LIBRARY_FOLDER_RE = re.compile(r"^([\w.-]{1,255})-(\d{1,5})\.(\d{1,5})$", re.ASCII)
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_JSON_BYTES = 4 * 1024 * 1024
H5P_JSON = "h5p.json"
CONTENT_JSON = "content/content.json"


@dataclass(frozen=True)
class Dependency:
    """A library a package or another library needs: machine name and major.minor."""

    machine_name: str
    major: int
    minor: int

    @property
    def key(self) -> str:
        """The library's folder name, `H5P.Name-1.0` (how it is stored: once per major.minor)."""
        return f"{self.machine_name}-{self.major}.{self.minor}"


@dataclass
class Library:
    """A library folder of the package: its version, its files (paths inside the .h5p), what it needs."""

    dependency: Dependency
    patch: int
    title: str
    meta: dict
    files: list[str] = field(default_factory=list)
    needs: list[Dependency] = field(default_factory=list)


@dataclass
class Package:
    """A validated `.h5p`: its metadata, its content files and the libraries it brings."""

    title: str
    language: str
    license: str
    main_library: str
    dependencies: list[Dependency]
    meta: dict
    content_files: list[str]
    libraries: dict[str, Library]


def refused(text: str, shown: str, **params) -> PackError:
    """A refusal of the file with its English line and its French sentence."""
    return PackError(text, shown, **params)


def _json(source: ZipPack, path: str, missing: PackError) -> object:
    """A member parsed as JSON; `missing` if absent, a clear refusal if too large or broken."""
    if path not in source.members:
        raise missing
    if source.size(path) > MAX_JSON_BYTES:
        raise refused(f"{path} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB",
                      N_("le fichier %(path)s de ce H5P est trop grand"), path=path)
    with source.open(path) as handle:
        data = handle.read(MAX_JSON_BYTES + 1)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise refused(f"{path} is not valid JSON ({err})",
                      N_("le fichier %(path)s de ce H5P est abîmé (JSON invalide)"), path=path) from None


def _dependencies(value: object, where: str) -> list[Dependency]:
    """A `preloadedDependencies` list, each entry checked."""
    if value is None:
        return []
    bad = refused(f"{where}: preloadedDependencies must be a list of {{machineName, majorVersion, minorVersion}}",
                  N_("le fichier %(path)s de ce H5P est invalide : liste des bibliothèques nécessaires mal "
                     "formée"), path=where)
    if not isinstance(value, list):
        raise bad
    found = []
    for entry in value:
        if not (isinstance(entry, dict) and isinstance(entry.get("machineName"), str)
                and MACHINE_NAME_RE.match(entry["machineName"])):
            raise bad
        try:
            major, minor = int(entry.get("majorVersion")), int(entry.get("minorVersion"))
        except (TypeError, ValueError):
            raise bad from None
        found.append(Dependency(entry["machineName"], major, minor))
    return found


def _metadata(source: ZipPack) -> dict:
    """h5p.json: present, a JSON object with a title, a main library and its dependencies."""
    meta = _json(source, H5P_JSON, refused(
        "no h5p.json at the root: not an H5P file",
        N_("ce n'est pas un fichier H5P : il n'y a pas de h5p.json à sa racine")))
    if not isinstance(meta, dict):
        raise refused("h5p.json is not a JSON object", N_("le fichier h5p.json de ce H5P est invalide"))
    for key in ("title", "mainLibrary"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise refused(f"h5p.json has no {key}",
                          N_("le fichier h5p.json de ce H5P est invalide : le champ %(field)s manque"), field=key)
    if not isinstance(meta.get("preloadedDependencies"), list):
        raise refused("h5p.json has no preloadedDependencies",
                      N_("le fichier h5p.json de ce H5P est invalide : le champ %(field)s manque"),
                      field="preloadedDependencies")
    return meta


def _check_extension(path: str, in_library: bool) -> None:
    """Refuse a file whose extension H5P itself does not allow there."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in ALLOWED_EXTENSIONS or (in_library and ext in LIBRARY_EXTENSIONS):
        return
    raise refused(f"{path}: .{ext or '(none)'} files are not allowed in an H5P package",
                  N_("ce H5P contient %(path)s : H5P n'accepte pas les fichiers de ce type"), path=path)


def _library(source: ZipPack, folder: str, files: list[str]) -> Library:
    """One library folder: library.json matching the folder's name and version."""
    where = f"{folder}/library.json"
    meta = _json(source, where, refused(f"{folder}: no library.json",
                                        N_("la bibliothèque %(name)s de ce H5P n'a pas de library.json"),
                                        name=folder))
    match = LIBRARY_FOLDER_RE.match(folder)
    try:
        version = (meta["machineName"], int(meta["majorVersion"]), int(meta["minorVersion"]))
        patch = int(meta.get("patchVersion", 0))
    except (TypeError, KeyError, ValueError):
        version, patch = None, 0
    if not isinstance(meta, dict) or version is None or match is None \
            or version != (match[1], int(match[2]), int(match[3])):
        raise refused(f"{where} does not describe {folder}",
                      N_("la bibliothèque %(name)s de ce H5P est invalide (library.json ne lui correspond pas)"),
                      name=folder)
    return Library(Dependency(*version), patch, str(meta.get("title") or folder)[:255], meta, files,
                   _dependencies(meta.get("preloadedDependencies"), where))


def _skipped(path: str) -> bool:
    """Files H5P ignores: hidden files, and top-level entries starting with a dot or an underscore."""
    parts = path.split("/")
    return parts[-1].startswith(".") or parts[0].startswith((".", "_"))


def read_package(source: ZipPack, stored: Callable[[Dependency], bool]) -> Package:
    """Validate a `.h5p` already opened (zip checks done); `stored` says if the box has a library."""
    meta = _metadata(source)
    dependencies = _dependencies(meta["preloadedDependencies"], H5P_JSON)
    content: list[str] = []
    folders: dict[str, list[str]] = {}
    for path in source.members:
        if _skipped(path) or path == H5P_JSON:
            continue
        top = path.split("/", 1)[0]
        if top == "content" and "/" in path:
            _check_extension(path, in_library=False)
            content.append(path)
        elif "/" in path and LIBRARY_FOLDER_RE.match(top):
            _check_extension(path, in_library=True)
            folders.setdefault(top, []).append(path)
        else:
            _check_extension(path, in_library=False)
            raise refused(f"{path}: neither content/ nor a library folder (Name-major.minor)",
                          N_("ce H5P contient %(path)s, hors du dossier content et des bibliothèques"), path=path)
    _json(source, CONTENT_JSON, refused("no content/content.json",
                                        N_("ce H5P n'a pas de contenu (content/content.json manque)")))
    libraries = {folder: _library(source, folder, files) for folder, files in sorted(folders.items())}
    needed = [(H5P_JSON, dep) for dep in dependencies]
    needed += [(lib.dependency.key, dep) for lib in libraries.values() for dep in lib.needs]
    for needer, dep in needed:
        if dep.key not in libraries and not stored(dep):
            raise refused(f"{needer} needs the library {dep.machine_name} {dep.major}.{dep.minor}, "
                          "which is neither in the file nor on the box",
                          N_("ce H5P a besoin de la bibliothèque %(library)s, qui n'est ni dans le fichier ni "
                             "sur la box : exportez-le avec ses bibliothèques"),
                          library=f"{dep.machine_name} {dep.major}.{dep.minor}")
    if meta["mainLibrary"] not in {dep.machine_name for dep in dependencies}:
        raise refused(f"h5p.json: the main library {meta['mainLibrary']} is not among preloadedDependencies",
                      N_("le fichier h5p.json de ce H5P est invalide : sa bibliothèque principale n'est pas "
                         "dans la liste des bibliothèques nécessaires"))
    language = meta.get("language") if isinstance(meta.get("language"), str) else ""
    return Package(meta["title"].strip()[:255], language if LANG_RE.match(language or "") else "und",
                   str(meta.get("license") or "")[:100], meta["mainLibrary"], dependencies, meta,
                   sorted(content), libraries)
