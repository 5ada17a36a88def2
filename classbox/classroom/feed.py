"""The teachers' `submission` feed: answers stored together reach the dashboard in one event.

Under gevent, the answers of one group commit wake their handlers together; each adds its record
here and the first schedules one flush, which runs after all of them and emits a single
`submission` event (a list of records) per session. Under threading (tests, tools) every record
is emitted at once, as a list of one.
"""

from __future__ import annotations

from typing import Any, Callable


class SubmissionFeed:
    """Pending `submission` records per session, emitted as one list per flush."""

    def __init__(self, emit: Callable[[int, list[dict]], None], spawn: Callable[..., Any] | None) -> None:
        self._emit = emit
        self._spawn = spawn  # None: emit at once
        self._pending: dict[int, list[dict]] = {}

    def add(self, session_id: int, record: dict) -> None:
        """Queue one stored submission for the session's teachers."""
        if self._spawn is None:
            self._emit(session_id, [record])
            return
        records = self._pending.get(session_id)
        if records is None:
            self._pending[session_id] = [record]
            self._spawn(self.flush, session_id)
        else:
            records.append(record)

    def flush(self, session_id: int) -> None:
        """Emit what is pending for a session (one event)."""
        records = self._pending.pop(session_id, None)
        if records:
            self._emit(session_id, records)
