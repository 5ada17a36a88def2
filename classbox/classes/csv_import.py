"""Read the first-name column of a school's CSV export into a list of members, or refuse it whole.

UTF-8 (with or without BOM) or Windows-1252, `;`, `,` or tab, a header row or none, CRLF or LF.
Empty lines, repeated lines and first names shared by two pupils are reported by line number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from classbox.classes.errors import ClassesError
from classbox.classes.model import clean_member_name
from classbox.web.i18n_marks import N_

if TYPE_CHECKING:
    import sqlite_utils

MAX_LINES = 1000  # a whole school's export fits; a class has about 30
MAX_BYTES = 256 * 1024
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FIRST_NAME_HEADERS = {"prenom", "prenoms", "prenom eleve", "prenom de l eleve", "prenom usuel", "first name",
                      "firstname", "given name", "forename", "eleve", "eleves", "pseudo", "pseudonyme", "name"}
SURNAME_HEADERS = {"nom", "nom eleve", "nom de l eleve", "nom de famille", "nom d usage", "last name", "lastname",
                   "surname", "family name", "initiale", "initial"}
NOTE_MESSAGES = {
    "empty_line": N_("Ligne %(line)s : vide, ignorée."),
    "empty_name": N_("Ligne %(line)s : pas de prénom, ignorée."),
    "duplicate": N_("Ligne %(line)s : « %(name)s » répète la ligne %(other)s, ignorée."),
    "initial": N_("Ligne %(line)s : deux élèves s'appellent ainsi, nommé·e « %(name)s »."),
    "numbered": N_("Ligne %(line)s : prénom porté par plusieurs élèves, nommé·e « %(name)s » : "
                   "renommez-le pour les distinguer."),
    "already_in_class": N_("Ligne %(line)s : « %(name)s » est déjà dans la classe, ignoré·e."),
}


@dataclass
class Note:
    """Something the teacher should know about one line (it was skipped or renamed)."""

    line: int
    code: str
    name: str = ""
    other: int | None = None


@dataclass
class ImportPlan:
    """The names to add, in file order, and what was noticed on the way."""

    names: list[str]
    notes: list[Note] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    header: bool = False


def _line_of(data: bytes | str, offset: int) -> int:
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 strictly (a BOM is dropped), else Windows-1252; binary is refused."""
    if len(data) > MAX_BYTES:
        raise ClassesError("csv_too_large", line=_line_of(data, MAX_BYTES), max=MAX_LINES)
    control = _CONTROL_BYTES.search(data)  # the same bytes in UTF-8 and Windows-1252
    if control:
        raise ClassesError("csv_binary", line=_line_of(data, control.start()))
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as error:
            raise ClassesError("csv_encoding", line=_line_of(data, error.start)) from None
    for offset, char in enumerate(text):
        if char not in "\t\r\n" and unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            raise ClassesError("csv_binary", line=_line_of(text, offset))
    return text, encoding


def _folded(cell: str) -> str:
    """A header cell without accents, case or punctuation: `Prénom Élève` -> `prenom eleve`."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", cell) if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain.casefold()).split())


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(";,\t", key=first.count) if any(d in first for d in ";,\t") else ","


def _columns(row: list[str]) -> tuple[int, int | None] | None:
    """(first-name column, surname column or None) if `row` is a header row, else None."""
    folded = [_folded(cell) for cell in row]
    first = next((i for i, f in enumerate(folded) if f in FIRST_NAME_HEADERS or f.startswith("prenom")), None)
    if first is None:
        return None
    surname = next((i for i, f in enumerate(folded) if i != first and f in SURNAME_HEADERS), None)
    return first, surname


def _cell(row: list[str], index: int | None) -> str:
    return " ".join(row[index].split()) if index is not None and index < len(row) else ""


def _initials(first: str, surnames: list[str]) -> list[str] | None:
    """`Léa M.`, `Léa R.` (longer prefixes while two clash); None if two surnames cannot be told apart."""
    if any(not s for s in surnames) or len({s.casefold() for s in surnames}) < len(surnames):
        return None
    for size in range(1, max(len(s) for s in surnames) + 1):
        labels = [f"{first} {s[:size][0].upper()}{s[1:size].lower()}." for s in surnames]
        if len({label.casefold() for label in labels}) == len(labels):
            return labels
    return None


def parse_members(data: bytes, existing: Iterable[str] = ()) -> ImportPlan:
    """The members a CSV file would add to a class already holding `existing` names; ClassesError if refused."""
    text, encoding = decode(data)
    if text.count("\n") + (not text.endswith("\n")) > MAX_LINES:
        raise ClassesError("csv_too_large", line=MAX_LINES + 1, max=MAX_LINES)
    delimiter = _delimiter(text)
    plan = ImportPlan([], encoding=encoding, delimiter=delimiter)
    rows: list[tuple[int, str, str]] = []  # (line, first name, surname)
    seen: dict[tuple[str, str], int] = {}
    columns: tuple[int, int | None] = (0, None)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                plan.notes.append(Note(line, "empty_line"))
                continue
            if not rows and not seen and not plan.header and (found := _columns(row)) is not None:
                columns, plan.header = found, True
                continue
            first, surname = _cell(row, columns[0]), _cell(row, columns[1])
            if not first:
                plan.notes.append(Note(line, "empty_name"))
                continue
            key = (first.casefold(), surname.casefold()) if columns[1] is not None else (str(line), "")
            if key in seen:  # the same pupil twice; without surnames, two Léa are two pupils (numbered)
                plan.notes.append(Note(line, "duplicate", first, seen[key]))
                continue
            seen[key] = line
            rows.append((line, first, surname))
    except csv.Error:
        raise ClassesError("csv_binary", line=reader.line_num) from None
    if not rows:
        raise ClassesError("csv_empty")
    _name_rows(plan, rows, {name.casefold() for name in existing})
    return plan


def _name_rows(plan: ImportPlan, rows: list[tuple[int, str, str]], taken: set[str]) -> None:
    """Fill plan.names: shared first names told apart by surname initials, else numbered and reported."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, (_, first, _) in enumerate(rows):
        groups[first.casefold()].append(index)
    names = [first for _, first, _ in rows]
    for indexes in (ix for ix in groups.values() if len(ix) > 1):
        labels = _initials(rows[indexes[0]][1], [rows[i][2] for i in indexes])
        code = "initial" if labels else "numbered"
        labels = labels or [f"{rows[i][1]} {n}" for n, i in enumerate(indexes, 1)]
        for i, label in zip(indexes, labels):
            names[i] = label
            plan.notes.append(Note(rows[i][0], code, label))
    for (line, _, _), name in zip(rows, names):
        try:
            name = clean_member_name(name)
        except ClassesError as refused:
            raise ClassesError("csv_invalid_name", line=line, cause=refused.cause) from None
        if name.casefold() in taken:
            plan.notes.append(Note(line, "already_in_class", name))
            continue
        taken.add(name.casefold())
        plan.names.append(name)
    plan.notes.sort(key=lambda note: note.line)


def import_csv(db: sqlite_utils.Database, owner_id: int, class_id: object, data: bytes) -> tuple[list[dict], ImportPlan]:
    """Add a CSV file's members to one of the teacher's classes, all or none: (members added, plan)."""
    from classbox.classes import store

    existing = store.get_class(db, owner_id, class_id)["members"]
    plan = parse_members(data, [m["name"] for m in existing])
    return store.add_members(db, owner_id, class_id, [{"name": name} for name in plan.names]), plan
