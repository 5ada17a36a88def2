"""Shared fixtures: an app on a temporary data dir, its clients, the CLI runner, live servers.

With CI=true, a skipped test marked `peer` (it needs a real browser, LRS, WebDAV server,
Pushgateway, network namespace or Debian package) fails instead: CI must exercise them all.
"""

from __future__ import annotations

import os

import pytest
import sqlite_utils
from click.testing import CliRunner

from classbox import close_app, create_app
from classbox.auth.users import add_user
from classbox.extensions import socketio
from classbox.storage import open_database
from tests import parallel
from tests.descriptors import leaked_since, open_descriptors
from tests.helpers import LiveServer, ack, free_port, make_config  # noqa: F401  (re-exported for tests)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (make test): each test file, or xdist_group, whole on one worker."""
    if config.getvalue("dist") == "loadgroup":
        return parallel.file_or_group_scheduler(config, log)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """On xdist workers: xdist_group honoured, the files holding a slow test first (tests/parallel.py)."""
    if getattr(config.option, "loadgroup", False):  # a worker of `--dist loadgroup`
        parallel.tag_groups(items)
        parallel.slow_files_first(items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A test marked `alone` runs while no other worker runs a test (tests/parallel.py)."""
    with parallel.running(item.config, alone=item.get_closest_marker("alone") is not None):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With CI=true, a skipped `peer` test is reported as failed."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and item.get_closest_marker("peer") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"peer test skipped with CI=true (a skip is a failure here): {reason}"


@pytest.fixture(autouse=True, scope="session")
def test_sized_password_hashes():
    """Apps built in the test process hash with argon2id at 8 MiB and one pass instead of the
    production 64 MiB and three: a teacher's account and login cost two hashes, in most tests.
    Servers started as processes (LiveServer, e2e, CLI runs) keep the production parameters."""
    from argon2 import PasswordHasher

    from classbox.auth import users

    production = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    yield
    users._hasher = production


@pytest.fixture(autouse=True)
def no_leaked_descriptors(request):
    """A test that leaves a file descriptor open fails (tests/descriptors.py). In tests/e2e the box
    runs in its own process and this one's sockets are Playwright's (its driver's event loop, made
    and dropped as it sees fit): there only files count."""
    before = open_descriptors()
    yield
    leaked = leaked_since(before)
    if leaked and "e2e" in request.node.path.parts:
        leaked = [fd for fd in leaked if "socket:[" not in fd]
    if leaked:
        pytest.fail(f"{len(leaked)} file descriptors left open by this test: {leaked[:12]}", pytrace=False)


@pytest.fixture(autouse=True)
def apps_closed(no_leaked_descriptors, monkeypatch):
    """Every app a test built (create_app) is closed after it (before the descriptors are checked)."""
    import weakref

    import flask

    built: weakref.WeakSet = weakref.WeakSet()  # an app the test lets go of is not kept alive here

    class RecordedFlask(flask.Flask):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.add(self)
    monkeypatch.setattr(flask, "Flask", RecordedFlask)  # create_app imports it when called
    yield
    for app in list(built):
        close_app(app)


@pytest.fixture(autouse=True)
def writers_closed(no_leaked_descriptors, monkeypatch):
    """Every classroom writer a test started is closed after it (before the descriptors are checked)."""
    from classbox.storage.writer import GroupWriter

    started, start = [], GroupWriter._start

    def recording(writer):
        started.append(writer)
        start(writer)
    monkeypatch.setattr(GroupWriter, "_start", recording)
    yield
    for writer in started:
        writer.close()


@pytest.fixture
def config(tmp_path):
    """A config on a fresh data dir, isolated from the machine's env and /etc."""
    return make_config(tmp_path / "data")


@pytest.fixture
def app(config):
    """The app on a temporary data dir, CSRF off for convenience (tests of CSRF turn it on)."""
    application = create_app(config)
    application.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    yield application
    close_app(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


class SettledDatabase(sqlite_utils.Database):
    """The test's own connection: each statement first commits the classroom's journaled rows,
    as the teachers' pages do (storage/journal.py: acked rows reach SQLite a few seconds later)."""

    def __init__(self, conn, app) -> None:
        self._app = app
        super().__init__(conn)

    def _settle(self) -> None:
        classroom = self._app.extensions.get("classroom")
        if classroom is not None:
            classroom.writer.settle()

    def execute(self, sql, parameters=None):
        self._settle()
        return super().execute(sql, parameters)

    def query(self, sql, params=None):
        self._settle()
        return super().query(sql, params)


@pytest.fixture
def db(app):
    database = SettledDatabase(open_database(app.config["CLASSBOX"].data_dir).conn, app)
    yield database
    database.conn.close()


@pytest.fixture
def teacher(db):
    """A teacher account: (login, password)."""
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    return "mme.martin", "correct-horse-1"


@pytest.fixture
def admin(db):
    """An admin account: (login, password)."""
    add_user(db, "tech", "admin", "admin-pass-123", "Technicien")
    return "tech", "admin-pass-123"


@pytest.fixture
def login(client):
    """Log the test client in: login(("who", "password"))."""
    def do(credentials):
        user, password = credentials
        response = client.post("/login", data={"login": user, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response
    return do


@pytest.fixture
def socketio_client(app, client):
    """A Socket.IO test client on /classroom, sharing the Flask test client's cookies."""
    clients = []

    def make(namespace="/classroom", auth=None, flask_client=client, headers=None):
        sio = socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=flask_client,
                                   headers=headers)
        clients.append(sio)
        return sio
    yield make
    for sio in clients:
        if sio.is_connected("/classroom"):
            sio.disconnect("/classroom")


@pytest.fixture
def teacher_sio(app, client, teacher, login, socketio_client):
    """A teacher logged in, with an open session: (socket client, join code)."""
    login(teacher)
    sio = socketio_client()
    answer = ack(sio, "open_session", {"title": "CM1 fractions"})
    assert answer["ok"], answer
    return sio, answer["code"]


@pytest.fixture
def pupil(app, socketio_client):
    """Make a pupil on its own device (no cookies): pupil(code, name) -> (socket client, join ack)."""
    def make(code, name="Léa", token=None):
        sio = socketio_client(flask_client=app.test_client())
        data = {"code": code, "name": name} if token is None else {"code": code, "token": token}
        return sio, ack(sio, "join", data)
    return make
