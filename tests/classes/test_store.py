"""Classes and members: create, list, add, rename, re-picture, remove, reorder, delete, owner scoping."""

from __future__ import annotations

import datetime
import uuid

import pytest

from classbox.classes import store
from classbox.classes.errors import ClassesError
from classbox.classes.pictograms import PICTURE_IDS


@pytest.fixture
def ce(db, teacher_id):
    """A CE1–CE2 class of mme.martin with Léa, Hugo and Zoé."""
    made = store.create_class(db, teacher_id, "CE1-CE2 Les Hiboux", ["CE2", "ce1"])
    store.add_members(db, teacher_id, made["id"], [{"name": "Léa"}, {"name": "Hugo", "picture": "fox"},
                                                   {"name": "Zoé"}])
    return store.get_class(db, teacher_id, made["id"])


def test_a_multi_level_class_keeps_its_levels_in_school_order(ce):
    assert ce["name"] == "CE1-CE2 Les Hiboux"
    assert ce["levels"] == ["CE1", "CE2"]


@pytest.mark.parametrize("levels", [[], ["CE3"], "Terminale", [1], None, ["CP"] * 10])
def test_unknown_levels_are_refused(db, teacher_id, levels):
    with pytest.raises(ClassesError) as refused:
        store.create_class(db, teacher_id, "Classe", levels)
    assert refused.value.code == "invalid_levels"


@pytest.mark.parametrize("name", ["", "   ", "<script>", "x" * 61, 42])
def test_bad_class_names_are_refused(db, teacher_id, name):
    with pytest.raises(ClassesError) as refused:
        store.create_class(db, teacher_id, name, ["CP"])
    assert refused.value.code == "invalid_class_name"


def test_members_get_a_random_stable_id_a_picture_and_an_order(ce):
    names = [m["name"] for m in ce["members"]]
    assert names == ["Léa", "Hugo", "Zoé"]
    for member in ce["members"]:
        assert uuid.UUID(member["id"]).version == 4
        assert member["picture"] in PICTURE_IDS
        assert member["picture_url"].startswith(f"/pictograms/{member['picture']}-")
    assert ce["members"][1]["picture"] == "fox"
    assert len({m["picture"] for m in ce["members"]}) == 3, "new members get pictures nobody has"


def test_the_id_is_not_derived_from_the_name(db, teacher_id, other_teacher_id):
    one = store.create_class(db, teacher_id, "A", ["CP"])
    two = store.create_class(db, other_teacher_id, "B", ["CP"])
    [lea1] = store.add_members(db, teacher_id, one["id"], [{"name": "Léa"}])
    [lea2] = store.add_members(db, other_teacher_id, two["id"], [{"name": "Léa"}])
    assert lea1["id"] != lea2["id"]


def test_rename_and_repicture_keep_the_member_id(db, teacher_id, ce):
    lea = ce["members"][0]
    renamed = store.update_member(db, teacher_id, ce["id"], lea["id"], name="Léa M.", picture="owl")
    assert (renamed["id"], renamed["name"], renamed["picture"]) == (lea["id"], "Léa M.", "owl")
    assert store.get_class(db, teacher_id, ce["id"])["members"][0]["name"] == "Léa M."


def test_two_members_cannot_share_a_name(db, teacher_id, ce):
    with pytest.raises(ClassesError) as refused:
        store.add_members(db, teacher_id, ce["id"], [{"name": "léa"}])
    assert refused.value.code == "duplicate_name"
    with pytest.raises(ClassesError):
        store.update_member(db, teacher_id, ce["id"], ce["members"][1]["id"], name="Zoé")


def test_a_refused_entry_adds_nobody(db, teacher_id, ce):
    with pytest.raises(ClassesError) as refused:
        store.add_members(db, teacher_id, ce["id"], [{"name": "Nina"}, {"name": "T" * 31}])
    assert refused.value.code == "invalid_name"
    assert len(store.get_class(db, teacher_id, ce["id"])["members"]) == 3


def test_names_are_kept_as_written_markup_included(db, teacher_id, ce):
    added = store.add_members(db, teacher_id, ce["id"], [{"name": "N'Diaye"}, {"name": "Zoé & Léo"}, {"name": "<b>Tom</b>"}])
    assert [m["name"] for m in added] == ["N'Diaye", "Zoé & Léo", "<b>Tom</b>"]


def test_an_unknown_picture_is_refused(db, teacher_id, ce):
    with pytest.raises(ClassesError) as refused:
        store.add_members(db, teacher_id, ce["id"], [{"name": "Nina", "picture": "../../etc/passwd"}])
    assert refused.value.code == "invalid_picture"


def test_remove_and_reorder(db, teacher_id, ce):
    lea, hugo, zoe = (m["id"] for m in ce["members"])
    store.remove_member(db, teacher_id, ce["id"], hugo)
    assert [m["id"] for m in store.reorder_members(db, teacher_id, ce["id"], [zoe, lea])] == [zoe, lea]
    [nina] = store.add_members(db, teacher_id, ce["id"], [{"name": "Nina"}])
    assert [m["id"] for m in store.get_class(db, teacher_id, ce["id"])["members"]] == [zoe, lea, nina["id"]]


@pytest.mark.parametrize("order", [[], "abc", ["x", "y", "z"]])
def test_an_order_must_name_every_member_once(db, teacher_id, ce, order):
    with pytest.raises(ClassesError) as refused:
        store.reorder_members(db, teacher_id, ce["id"], order)
    assert refused.value.code == "bad_order"


def test_an_order_repeating_a_member_is_refused(db, teacher_id, ce):
    lea = ce["members"][0]["id"]
    with pytest.raises(ClassesError):
        store.reorder_members(db, teacher_id, ce["id"], [lea, lea, lea])


def test_another_teachers_class_looks_absent(db, teacher_id, other_teacher_id, ce):
    assert store.list_classes(db, other_teacher_id) == []
    for call in (lambda: store.get_class(db, other_teacher_id, ce["id"]),
                 lambda: store.add_members(db, other_teacher_id, ce["id"], [{"name": "Intrus"}]),
                 lambda: store.remove_member(db, other_teacher_id, ce["id"], ce["members"][0]["id"]),
                 lambda: store.delete_class(db, other_teacher_id, ce["id"])):
        with pytest.raises(ClassesError) as refused:
            call()
        assert refused.value.code == "unknown_class"
    assert len(store.get_class(db, teacher_id, ce["id"])["members"]) == 3


def test_a_member_of_another_class_is_unknown_here(db, teacher_id, ce):
    other = store.create_class(db, teacher_id, "CM2", ["CM2"])
    [tom] = store.add_members(db, teacher_id, other["id"], [{"name": "Tom"}])
    with pytest.raises(ClassesError) as refused:
        store.remove_member(db, teacher_id, ce["id"], tom["id"])
    assert refused.value.code == "unknown_member"


def test_list_counts_members_and_delete_removes_them(db, teacher_id, ce):
    assert [(c["name"], c["member_count"]) for c in store.list_classes(db, teacher_id)] == [("CE1-CE2 Les Hiboux", 3)]
    assert store.delete_class(db, teacher_id, ce["id"]) == 3
    assert store.list_classes(db, teacher_id) == []
    assert db.execute("SELECT COUNT(*) FROM class_members").fetchone()[0] == 0


@pytest.mark.parametrize("today, expected", [
    ("2026-12-07", "2027-08-31"), ("2027-03-01", "2027-08-31"), ("2027-08-31", "2028-08-31"),
    ("2027-09-01", "2028-08-31")])
def test_a_class_is_kept_until_the_end_of_the_school_year(today, expected):
    assert store.school_year_end(datetime.date.fromisoformat(today)).isoformat() == expected
