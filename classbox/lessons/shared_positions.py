"""Which step each pupil is at in a self-paced lesson, for every web worker (a Redis hash per release)."""

from __future__ import annotations

from typing import Any

from classbox.lessons.events import Positions
from classbox.runtime.shared import Shared

TTL_S = 14 * 3600  # a device token's life: no lesson is worked through longer in one session


class SharedPositions(Positions):
    """Positions written to Redis too, and read there: the dashboard sees pupils of every worker."""

    def __init__(self, shared: Shared) -> None:
        super().__init__()
        self.shared = shared

    def set(self, release_id: str, pupil_id: str, step: int) -> None:
        super().set(release_id, pupil_id, step)
        key = self.shared.key("positions", release_id)
        self.shared.run(lambda client: client.pipeline().hset(key, pupil_id, step).expire(key, TTL_S).execute(),
                        lambda: None)

    def of(self, release_id: str) -> dict[str, int]:
        """pupil id → step, every worker's (this worker's own while Redis does not answer)."""
        here = super().of(release_id)

        def read(client: Any) -> dict[str, int]:
            found = {p.decode(): int(s) for p, s in client.hgetall(self.shared.key("positions", release_id)).items()}
            return {**found, **here}
        return self.shared.run(read, lambda: here, writes=False)


def positions_for(shared: Shared | None) -> Positions:
    """This app's positions: shared by the workers, or in this process's memory (one worker)."""
    return Positions() if shared is None else SharedPositions(shared)
