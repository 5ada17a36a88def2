"""The health service closes the volatile database it opened: the agent's stop, and any code that
takes samples by hand (the tests), leave no connection to the garbage collector (Python 3.13 warns
about each one)."""

from __future__ import annotations

from classbox.health.service import HealthService
from tests.storage.test_connections_closed import is_closed, opened  # noqa: F401 (fixture)


def test_a_closed_service_leaves_no_connection_open(config, readers, db, opened):  # noqa: F811
    service = HealthService(config, readers)
    service.sampler.integrity = lambda data_dir: []
    service.tick(db)
    service.close()
    assert opened and all(is_closed(conn) for conn in opened)
    service.close()  # twice is harmless (a stop after a failed start)
    service.tick(db)  # and the service can sample again after it
    service.close()
    assert all(is_closed(conn) for conn in opened)
