"""How often a class's journaled answers reach SQLite: each commit (and its checkpoint) writes the
shared pages of the tables again, so a class commits its answers a few times an hour, not every few
minutes; a page reading the class commits them at once (docs/performance.md, issue 23)."""

from __future__ import annotations

from classbox.storage.writer import GroupWriter
from tests.helpers import wait_until
from tests.storage.test_journal import _answer, _keys, data_dir  # noqa: F401 (data_dir: a fixture)


class Clock:
    """A clock the test moves: the writer's notion of time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_class_answering_for_ten_minutes_commits_nothing_until_its_results_are_read(data_dir):
    clock = Clock()
    writer = GroupWriter(data_dir, journal=True, clock=clock)  # the box's pace (defaults)
    keys = []
    for question in range(5):  # a question every 2 minutes, 30 pupils answering each
        for pupil in range(30):
            keys.append(f"q{question}-p{pupil}")
            writer.run(_answer(keys[-1]), journaled=True)
            clock.now += 0.3
        clock.now += 120 - 30 * 0.3
        writer.run(lambda db: None, journaled=True)  # a later write: the writer looks at the clock again
        wait_until(lambda: writer.gathering == 0 and writer._queue.empty(), what="the writer idle")
    assert writer.commits == 0, "the answers stay in the fsynced journal, written to SQLite together later"
    assert not set(keys) & _keys(data_dir)
    writer.settle()  # the teacher opens the results
    assert writer.commits == 1 and set(keys) <= _keys(data_dir)
    writer.close()
