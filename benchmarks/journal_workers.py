"""Two writers on one data dir (two web workers' group writers): commits and bytes written per answer,
each committing its answers vs each journaling them in its own file (`journal_slot`, storage/journal.py).

    .venv/bin/python benchmarks/journal_workers.py [--answers 300]

In-process (two GroupWriters, one thread of answers each): no gunicorn, no Redis. Bytes are this
process's /proc/self/io write_bytes (its appends, commits, checkpoints), after a sync. Prints a ratio
to the commit-each baseline of the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classbox.storage.writer import GroupWriter  # noqa: E402
from classbox.sync.outbox import enqueue  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402
from tests.helpers import make_config  # noqa: E402


def written_bytes() -> int:
    """Bytes this process had written to storage."""
    with open("/proc/self/io", encoding="ascii") as handle:
        return int(dict(line.split(": ") for line in handle.read().splitlines())["write_bytes"])


def run(journal: bool, answers: int) -> tuple[int, int]:
    """(commits, bytes written) for `answers` answers on each of two writers."""
    folder = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        config = make_config(folder / "data")
        prepare_data_dir(config).conn.close()
        writers = [GroupWriter(config.data_dir, journal=journal, settle_s=3600, max_pending_s=3600, journal_slot=slot)
                   for slot in (0, 1)]
        for writer in writers:
            writer.run(lambda db: None)
        os.sync()
        start = written_bytes()

        def answer(writer: GroupWriter, slot: int) -> None:
            for n in range(answers):
                payload = {"event": "answered", "n": n, "text": "x" * 200}
                writer.run(lambda db, n=n: enqueue(db, "xapi", "lrs", payload, f"{slot}-{n}", "p"), journaled=True)

        threads = [threading.Thread(target=answer, args=(w, slot)) for slot, w in enumerate(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for writer in writers:
            writer.settle()
        os.sync()
        return sum(w.commits for w in writers), written_bytes() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Print both figures and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=300, help="answers per writer")
    total = 2 * parser.parse_args().answers
    results = {journal: run(journal, total // 2) for journal in (False, True)}
    for journal, (commits, written) in results.items():
        print(f"{'journal per worker' if journal else 'commit each      '}: {total} answers, {commits} commits "
              f"({commits / total:.3f}/answer), {written / 1024 / total:.2f} KB written/answer")
    print(f"ratio bytes journal/commit-each: {results[True][1] / results[False][1]:.2f}")


if __name__ == "__main__":
    main()
