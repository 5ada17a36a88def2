"""Picture-secret locks of several web workers: wrong tries counted and members locked in Redis, for all."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from classbox.classes.secretlock import Locked, SecretLocks
from classbox.runtime.shared import Shared

MEMBER_LIMIT = "secret_member"  # the per-member wrong-secret throttle (classes/tapjoin.py), keyed by member id
KEPT_S = 24 * 3600  # a day after the last wrong try the box forgets the counts and locks (pupils' names in Redis)


class SharedSecretLocks(SecretLocks):
    """SecretLocks whose counts and locks every worker shares (this worker's own while Redis fails)."""

    def __init__(self, shared: Shared, **settings: Any) -> None:
        super().__init__(**settings)
        self.shared = shared
        self.wrong_key, self.locked_key = shared.key("secret-wrong"), shared.key("secret-locked")

    def is_locked(self, member_id: str) -> bool:
        """Whether the member must ask the teacher for a new secret (locked through any worker)."""
        here = super().is_locked(member_id)
        return here or self.shared.run(lambda c: bool(c.hexists(self.locked_key, member_id)), lambda: False,
                                       writes=False)

    def wrong(self, member: Locked) -> bool:
        """Count one wrong secret for the member on the whole box; True if this one locks them."""
        def count(client: Any) -> bool:
            # each write goes with its expiry in one MULTI: a blip between them cannot keep a name for ever
            tries, _ = client.pipeline().hincrby(self.wrong_key, member.member_id, 1) \
                .expire(self.wrong_key, KEPT_S).execute()
            if tries < self.lock_after:
                return False
            created, _ = client.pipeline().hsetnx(self.locked_key, member.member_id, json.dumps(asdict(member))) \
                .expire(self.locked_key, KEPT_S).execute()
            return bool(created)
        return self.shared.run(count, lambda: super(SharedSecretLocks, self).wrong(member))

    def unlock(self, member_id: str) -> None:
        """The teacher gave a new secret: the count starts again on every worker."""
        super().unlock(member_id)
        self.shared.run(lambda c: c.pipeline().hdel(self.wrong_key, member_id).hdel(self.locked_key, member_id)
                        .execute(), lambda: None)

    def of_class(self, class_id: int | None) -> list[dict]:
        """The locked members of a class, locked through any worker."""
        here = super().of_class(class_id)

        def read(client: Any) -> list[dict]:
            found = {m["member_id"]: m for m in (json.loads(v) for v in client.hvals(self.locked_key))
                     if m["class_id"] == class_id}
            return list({**found, **{m["member_id"]: m for m in here}}.values())
        return self.shared.run(read, lambda: here, writes=False)


def forget_members(shared: Shared | None, member_ids: list[str]) -> None:
    """Members erased (privacy): their wrong tries, lock, throttle and takeover requests leave Redis now."""
    if shared is None or not member_ids:
        return
    from classbox.classes.takeovers import forget_takeovers

    limits = [shared.key("limit", MEMBER_LIMIT, member_id) for member_id in member_ids]
    shared.run(lambda c: c.pipeline().hdel(shared.key("secret-wrong"), *member_ids)
               .hdel(shared.key("secret-locked"), *member_ids).delete(*limits).execute(), lambda: None)
    shared.run(lambda c: forget_takeovers(shared, c, member_ids), lambda: None)  # a request waiting: its name


def secret_locks_for(shared: Shared | None) -> SecretLocks:
    """Locks shared by the workers through Redis, or this process's own (one worker)."""
    return SecretLocks() if shared is None else SharedSecretLocks(shared)
