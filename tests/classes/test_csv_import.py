"""CSV import of a class list: encodings, separators, headers, duplicates, shared first names, refusals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from classbox.classes.csv_import import MAX_LINES, parse_members
from classbox.classes.errors import ClassesError

FIXTURES = Path(__file__).parent / "fixtures"


def notes(plan) -> list[tuple[int, str, str]]:
    return [(n.line, n.code, n.name) for n in plan.notes]


def refused(data: bytes) -> ClassesError:
    with pytest.raises(ClassesError) as caught:
        parse_members(data)
    return caught.value


def test_a_windows_1252_school_export_with_semicolons_gives_its_first_names():
    plan = parse_members((FIXTURES / "onde_export_cp1252.csv").read_bytes())
    assert (plan.encoding, plan.delimiter, plan.header) == ("cp1252", ";", True)
    assert plan.names == ["Léa M.", "Léa R.", "Maël", "Anaïs", "Moussa", "Noémie", "Thành", "Chloé"]
    assert notes(plan) == [(2, "initial", "Léa M."), (3, "initial", "Léa R."), (6, "empty_line", ""),
                           (9, "duplicate", "Léa")]
    assert plan.notes[-1].other == 2
    assert not any("MARTIN" in name or "2019" in name for name in plan.names), "no surname, no birth date kept"


def test_a_utf8_export_with_bom_and_commas_tells_two_jade_apart():
    plan = parse_members((FIXTURES / "liste_utf8_bom.csv").read_bytes())
    assert (plan.encoding, plan.delimiter, plan.header) == ("utf-8", ",", True)
    assert plan.names[0] == "Zoé", "the BOM is not part of the first name"
    assert plan.names[4:6] == ["Jade Mer.", "Jade Meu."]
    assert plan.names[-1] == "Élodie"


def test_without_header_the_first_column_is_read_and_shared_names_are_numbered_for_the_teacher():
    plan = parse_members((FIXTURES / "sans_entete.csv").read_bytes())
    assert plan.header is False
    assert plan.names == ["Léa 1", "Hugo", "Léa 2", "Maëlys", "Kylian"]
    assert notes(plan) == [(1, "numbered", "Léa 1"), (3, "numbered", "Léa 2"), (5, "empty_line", "")]


@pytest.mark.parametrize("data, names", [
    (b"Prenom;Nom\r\nL\xe9a;Martin\r\nHugo;Petit\r\n", ["Léa", "Hugo"]),
    (b"first name\tlast name\nTom\tSmith\n", ["Tom"]),
    ("Nom,Prénom\nPetit,Hugo\nMorel,Zoé".encode(), ["Hugo", "Zoé"]),
    ("Zoé;CM1\r\nHugo;CM1\r\n".encode(), ["Zoé", "Hugo"]),
    ("  Anne   Sophie  \n".encode(), ["Anne Sophie"]),
])
def test_separators_headers_and_line_ends(data, names):
    assert parse_members(data).names == names


def test_an_empty_first_name_is_reported_by_line():
    plan = parse_members("Prénom;Nom\nZoé;Morel\n;Petit\n".encode())
    assert plan.names == ["Zoé"]
    assert notes(plan) == [(3, "empty_name", "")]


def test_names_already_in_the_class_are_skipped_and_reported():
    plan = parse_members("Zoé\nHugo\n".encode(), existing=["zoé"])
    assert plan.names == ["Hugo"]
    assert notes(plan) == [(1, "already_in_class", "Zoé")]


def test_ten_thousand_lines_are_refused_naming_the_line():
    error = refused("\n".join(f"Élève{i}" for i in range(10_000)).encode())
    assert (error.code, error.line) == ("csv_too_large", MAX_LINES + 1)


def test_a_huge_file_is_refused_before_reading_it_all():
    error = refused(("x" * 200 + "\n").encode() * 10_000)
    assert error.code == "csv_too_large" and error.line > 1


@pytest.mark.parametrize("data, line", [
    (random.Random(18).randbytes(4096), None),                   # binary junk
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 2),                        # an image
    ("Zoé\nHugo\n\x1b[31mLéa\x07\n".encode(), 3),                 # terminal escapes
])
def test_binary_junk_is_refused_naming_the_line(data, line):
    error = refused(data)
    assert error.code in ("csv_binary", "csv_encoding")
    assert error.line is not None and (line is None or error.line == line)


def test_bytes_neither_utf8_nor_windows_1252_are_refused_naming_the_line():
    error = refused(b"Zo\xc3\xa9\nHugo\nL\x81a\n")
    assert (error.code, error.line) == ("csv_encoding", 3)


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", "Prénom;Nom\r\n".encode()])
def test_a_file_without_any_first_name_is_refused(data):
    assert refused(data).code == "csv_empty"


@pytest.mark.parametrize("name", ["\u202eaéL", "\u3164", "Marie-Charlotte-Éléonore-Anne-Sophie"])
def test_a_name_breaking_the_pupil_name_rule_refuses_the_file_naming_the_line(name):
    error = refused(f"Zoé\nHugo\n{name}\n".encode())
    assert (error.code, error.line) == ("csv_invalid_name", 3)


def test_importing_the_same_export_twice_adds_nobody_the_second_time(db, teacher_id):
    from classbox.classes import store
    from classbox.classes.csv_import import import_csv

    made = store.create_class(db, teacher_id, "CP-CE1", ["CP", "CE1"])
    data = (FIXTURES / "onde_export_cp1252.csv").read_bytes()
    added, _ = import_csv(db, teacher_id, made["id"], data)
    assert len(added) == 8
    again, plan = import_csv(db, teacher_id, made["id"], data)
    assert again == [] and sum(n.code == "already_in_class" for n in plan.notes) == 8
    assert len(store.get_class(db, teacher_id, made["id"])["members"]) == 8


def test_a_refused_file_leaves_the_class_as_it_was(db, teacher_id):
    from classbox.classes import store
    from classbox.classes.csv_import import import_csv

    made = store.create_class(db, teacher_id, "CM1", ["CM1"])
    with pytest.raises(ClassesError):
        import_csv(db, teacher_id, made["id"], "Zoé\nHugo\nMarie-Charlotte-Éléonore-Anne-Sophie\n".encode())
    assert store.get_class(db, teacher_id, made["id"])["members"] == []
