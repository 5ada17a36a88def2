"""Picture secrets guessed: after LOCK_AFTER wrong tries a member is locked until the teacher gives a new secret.

The per-member throttle (tapjoin.TapJoin) slows a guesser to one try a minute; the lock stops them:
144 pairs, so a guesser has about a 7 % chance before the lock. Wrong tries count until the teacher
resets the member's secret (a right one does not wipe them). Kept in the web worker's memory, like
the throttles (docs/security.md).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

LOCK_AFTER = 10  # wrong secrets for one member


@dataclass(frozen=True)
class Locked:
    """A member locked out, as the class's dashboards show it."""

    member_id: str
    class_id: int
    name: str
    picture_url: str


class SecretLocks:
    """Wrong-secret counts and locked members of one web worker."""

    def __init__(self, lock_after: int = LOCK_AFTER, max_members: int = 20_000) -> None:
        self.lock_after, self.max_members = lock_after, max_members
        self._wrong: dict[str, int] = {}
        self._locked: dict[str, Locked] = {}
        self._lock = threading.Lock()

    def is_locked(self, member_id: str) -> bool:
        """Whether the member must ask the teacher for a new secret."""
        return member_id in self._locked

    def wrong(self, member: Locked) -> bool:
        """Count one wrong secret for the member; True if this one locks them."""
        with self._lock:
            if len(self._wrong) >= self.max_members and member.member_id not in self._wrong:
                self._wrong.clear()  # bounded memory: counts restart, locks stay
            count = self._wrong[member.member_id] = self._wrong.get(member.member_id, 0) + 1
            if count >= self.lock_after and member.member_id not in self._locked:
                self._locked[member.member_id] = member
                return True
        return False

    def unlock(self, member_id: str) -> None:
        """The teacher gave a new secret: the count starts again."""
        with self._lock:
            self._wrong.pop(member_id, None)
            self._locked.pop(member_id, None)

    def of_class(self, class_id: int | None) -> list[dict]:
        """The locked members of a class, for its session's dashboard."""
        with self._lock:
            return [asdict(m) for m in self._locked.values() if m.class_id == class_id]
