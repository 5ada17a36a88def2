"""Slots for nginx's sticky routing: split evenly over the workers, kept by a worker's replacement."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from classbox.config import ConfigError
from classbox.runtime import sticky
from classbox.runtime.server import gunicorn_options
from tests.helpers import make_config


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_every_slot_has_one_worker_and_each_worker_as_many_slots(workers):
    owned = [sticky.slots_of(index, workers) for index in range(workers)]
    assert sorted(slot for slots in owned for slot in slots) == list(range(sticky.SLOTS))
    assert {len(slots) for slots in owned} == {sticky.SLOTS // workers}


def test_a_worker_that_died_is_replaced_on_its_slots():
    arbiter = SimpleNamespace(num_workers=3, WORKERS={})
    for pid in (11, 12, 13):
        worker = SimpleNamespace(age=pid)
        sticky.assign_index(arbiter, worker)
        arbiter.WORKERS[pid] = worker
    assert [w.classbox_index for w in arbiter.WORKERS.values()] == [0, 1, 2]
    del arbiter.WORKERS[12]  # killed -9
    replacement = SimpleNamespace(age=14)
    sticky.assign_index(arbiter, replacement)
    assert replacement.classbox_index == 1


def test_a_worker_listens_on_the_shared_port_and_its_own_slots_only(tmp_path, monkeypatch):
    monkeypatch.setattr(sticky, "_index", None)  # keep_own_slots sets the process's index: undone after
    listeners = [SimpleNamespace(cfg_addr=("127.0.0.1", 8080)),
                 *(SimpleNamespace(cfg_addr=str(sticky.slot_socket(tmp_path, s))) for s in range(sticky.SLOTS))]
    worker = SimpleNamespace(classbox_index=1, sockets=list(listeners))
    sticky.keep_own_slots(SimpleNamespace(num_workers=2), worker)
    assert [s.cfg_addr for s in worker.sockets] == [("127.0.0.1", 8080)] + [
        str(sticky.slot_socket(tmp_path, s)) for s in range(1, sticky.SLOTS, 2)]
    assert sticky.worker_index() == 1


def test_slot_sockets_only_behind_nginx(tmp_path):
    assert gunicorn_options(make_config(tmp_path / "a"))["bind"] == ["0.0.0.0:8080"]
    binds = gunicorn_options(make_config(tmp_path / "b", **{"web.behind_nginx": True}))["bind"]
    assert binds[1:] == [f"unix:{tmp_path / 'b' / 'run'}/web-{s}.sock" for s in range(sticky.SLOTS)]


def test_a_runtime_folder_too_long_for_a_socket_is_one_clear_error(tmp_path):
    config = make_config(tmp_path, **{"web.behind_nginx": True, "runtime_dir": "/run/" + "x" * 120})
    with pytest.raises(ConfigError, match="too long for a unix socket"):
        gunicorn_options(config)


def test_slot_sockets_and_their_folder_are_closed_to_other_users(tmp_path):
    """Gunicorn binds the slot sockets 0770 and the runtime folder is tightened even if it existed open."""
    import logging
    import os
    import stat

    from gunicorn import sock
    from gunicorn.config import Config as GunicornConfig

    run = tmp_path / "run"
    run.mkdir()
    os.chmod(run, 0o777)
    options = gunicorn_options(make_config(tmp_path, **{"web.behind_nginx": True, "runtime_dir": str(run)}))
    conf = GunicornConfig()
    conf.set("bind", [b for b in options["bind"] if b.startswith("unix:")])  # not the shared TCP port
    if "umask" in options:
        conf.set("umask", options["umask"])
    listeners = sock.create_sockets(conf, logging.getLogger("test"))
    try:
        modes = {stat.S_IMODE(os.stat(s.cfg_addr).st_mode) for s in listeners if isinstance(s.cfg_addr, str)}
        assert modes == {0o770}
        assert stat.S_IMODE(os.stat(run).st_mode) & 0o007 == 0
    finally:
        sock.close_sockets(listeners, unlink=True)
