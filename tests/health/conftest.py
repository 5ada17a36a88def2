"""Fixtures of the health tests: a clock, Pi-like readers and a sampler on the test data dir."""

from __future__ import annotations

import pytest

from classbox.health.sampler import Sampler
from classbox.health.service import HealthService

from tests.health.fakes import Clock, FakePsutil, pi_readers


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake_psutil():
    return FakePsutil()


@pytest.fixture
def readers(fake_psutil, clock):
    return pi_readers(psutil=fake_psutil, clock=clock)


@pytest.fixture
def sampler(config, readers):
    return Sampler(config, readers, integrity=lambda data_dir: [])


@pytest.fixture
def service(app, config, readers):
    """The agent's health service on the app's data dir, with Pi-like readers."""
    svc = HealthService(config, readers)
    svc.sampler.integrity = lambda data_dir: []
    yield svc
    svc.close()
