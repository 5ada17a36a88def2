"""Answer journals of several web workers: one file per writer slot, each replayed after a cut,
a killed worker's by its replacement, and all of them wiped by a privacy erase."""

from __future__ import annotations

import shutil

import pytest

from classbox.storage import journal as answer_journal
from classbox.storage.writer import GroupWriter
from tests.storage.journal_scan import text_of
from tests.storage.test_journal import _answer, _keys, _named, data_dir  # noqa: F401 (data_dir: a fixture)


def _cut_all(data_dir, into):
    """A power cut or kill -9 now, with several writers: every file of the data dir as it is."""
    into.mkdir()
    for path in data_dir.iterdir():
        if path.is_file():
            shutil.copyfile(path, into / path.name)
    return into


def test_two_workers_journal_their_answers_each_in_its_own_file(data_dir, tmp_path):
    """Several web workers: each journals (no commit per answer); a cut then loses no ack of either."""
    first = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=0)
    second = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=1)
    for n in range(5):
        first.run(_answer(f"a{n}"), journaled=True)
        second.run(_answer(f"b{n}"), journaled=True)
    assert first.journal is not None and second.journal is not None
    assert first.commits == second.commits == 0
    first.settle()  # its commit and marker do not claim the other worker's records
    cut = _cut_all(data_dir, tmp_path / "cut")
    assert {f"a{n}" for n in range(5)} <= _keys(cut) and not {f"b{n}" for n in range(5)} & _keys(cut)
    assert answer_journal.recover_data_dir(cut) == (5, 0)
    assert {f"b{n}" for n in range(5)} <= _keys(cut)
    assert answer_journal.recover_data_dir(cut) == (0, 0)  # nothing applied twice


def test_a_replacement_worker_replays_its_predecessors_journal_before_writing(data_dir, tmp_path):
    """A worker killed -9: the next one in its slot opens the same file and commits what it acked."""
    killed = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=1)
    killed.run(_answer("acked-before-kill"), journaled=True)
    box = _cut_all(data_dir, tmp_path / "box")  # what the killed worker left (its flock went with it)
    replacement = GroupWriter(box, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=1)
    replacement.run(_answer("after"), journaled=True)
    assert "acked-before-kill" in _keys(box)
    assert replacement.journal.path.name == "classroom-1.journal"


@pytest.mark.parametrize("slot", [None, 1])  # the only writer's journal, a web worker's
def test_privacy_erase_leaves_the_pupil_in_no_workers_journal(data_dir, tmp_path, slot):
    """RGPD: rows acked in a journal of a box stopped before their commit are erased too, and the
    next start does not bring them back."""
    from click.testing import CliRunner

    from classbox.cli import cli

    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=slot)
    writer.run(_named("Zoé Martin"), journaled=True)
    box = _cut_all(data_dir, tmp_path / "box")  # the box stopped (or was cut) before the commit
    journals = sorted(box.glob("classroom*.journal"))
    assert any("Zoé" in text_of(path) for path in journals)
    erased = CliRunner().invoke(cli, ["--data-dir", str(box), "privacy", "erase", "--pupil", "pupil-1", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert not any("Zoé" in text_of(path) for path in journals)
    answer_journal.recover_data_dir(box)  # the next start
    assert "Zoé Martin" not in _keys(box)


@pytest.mark.parametrize("slot", [None, 1])
def test_privacy_erase_refuses_while_a_running_web_process_holds_the_pupils_acked_answers(data_dir, slot):
    """RGPD: a pupil's answers acked but not yet committed by a running web process (one worker,
    or several that did not confirm through Redis) would be committed after the erase and sent to
    the ENT: the erase refuses, erases nothing, and works once the web service is stopped."""
    from click.testing import CliRunner

    from classbox.cli import cli

    erase = ["--data-dir", str(data_dir), "privacy", "erase", "--pupil", "pupil-1", "--yes"]
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, journal_slot=slot)
    try:
        writer.run(_named("Zoé Martin"), journaled=True)
        refused = CliRunner().invoke(cli, erase)
        assert refused.exit_code != 0 and "nothing erased" in refused.output and "stop" in refused.output
        assert "Zoé Martin" not in _keys(data_dir)  # still pending in the journal, untouched
    finally:
        writer.close()  # the web service stopped: its journal committed
    assert "Zoé Martin" in _keys(data_dir)
    erased = CliRunner().invoke(cli, erase)
    assert erased.exit_code == 0, erased.output
    assert "Zoé Martin" not in _keys(data_dir)
