"""Staging a pack's files two at a time, so that two copies (each a pipeline of its own) share the cores.

One file's copy leaves cores idle while its stages wait on each other (an inflater, a hasher and a
writer handing buffers on); a second file copied alongside fills them. Memory stays bounded: each
copy has its own few buffers. The first error stops the batch: no further file is started, the
copies under way see `stopped()` turn true and stop at their next buffer (raising Stopped), every
thread ends, then the first error is raised in the calling thread. Native threads and locks, as in
pipeline.py: this runs off gevent's event loop.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence, TypeVar

from classbox.library.pipeline import Reader, native

T = TypeVar("T")
WORKERS = min(2, os.cpu_count() or 1)  # files copied at once


class Stopped(Exception):
    """Another file of the batch failed: this copy stops."""


class Batch:
    """Jobs run by `workers` threads (the calling thread one of them), results in the jobs' order."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, WORKERS if workers is None else workers)
        self.error: BaseException | None = None

    def stopped(self) -> bool:
        """Whether a job failed (the others stop at their next buffer)."""
        return self.error is not None

    def check(self) -> None:
        """Raise Stopped once a job failed (the copies under way call it at every buffer)."""
        if self.error is not None:
            raise Stopped("another file of the pack could not be copied")

    def reader(self, read: Reader) -> Reader:
        """`read`, raising Stopped once the batch is stopped."""
        def checked(buf: memoryview) -> int:
            self.check()
            return read(buf)
        return checked

    def run(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run every job (none started after a failure); the results, or the first error raised."""
        start, allocate = native()
        results: list = [None] * len(jobs)
        taking = allocate()
        following = iter(range(len(jobs)))

        def work() -> None:
            while self.error is None:
                with taking:
                    index = next(following, None)
                if index is None:
                    return
                try:
                    results[index] = jobs[index]()
                except BaseException as err:  # raised in the caller once every thread ended
                    if self.error is None:
                        self.error = err

        def thread(done) -> None:
            try:
                work()
            finally:
                done.release()

        ended = []
        for _worker in range(min(self.workers, len(jobs)) - 1):
            done = allocate()
            done.acquire()
            ended.append(done)
            start(thread, (done,))
        try:
            work()
        except BaseException as err:  # an interrupt in the calling thread: stop the others
            self.error = self.error or err
        for done in ended:
            while True:
                try:
                    done.acquire()
                    break
                except BaseException as err:  # interrupted while waiting: keep waiting for the end
                    self.error = self.error or err
        if self.error is not None:
            raise self.error
        return results
