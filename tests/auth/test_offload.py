"""Password hashing runs off gevent's event loop: the box answers while logins are checked."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A gevent-patched process serving the real app. Verifying a password blocks its OS thread until
# the test opens a gate, so while 8 logins are being checked (ARGON2_SLOTS at a time, the others
# waiting their turn) nothing else could run on the loop if the checks ran there.
LOGINS_IN_FLIGHT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import os, sys, urllib.error, urllib.parse, urllib.request
    import gevent
    from gevent.pywsgi import WSGIServer
    from argon2 import PasswordHasher
    from classbox import create_app
    from classbox.auth import users
    from classbox.config import load_config
    from classbox.storage import open_database

    app = create_app(load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1]}))
    app.config.update(WTF_CSRF_ENABLED=False)
    from classbox.auth.throttle import LoginGuard
    app.extensions["classbox_login_guard"] = LoginGuard(free=100)  # 8 guesses from one address, all checked
    db = open_database(app.config["CLASSBOX"].data_dir)
    users.add_user(db, "mme.martin", "teacher", "Une-Phrase-Bien-Longue-42")

    new_lock = monkey.get_original("_thread", "allocate_lock")
    gate, count_lock, started, timed_out = new_lock(), new_lock(), [0], []
    gate.acquire()

    class GatedHasher(PasswordHasher):
        def verify(self, hash, password):
            with count_lock:
                started[0] += 1
            if not gate.acquire(timeout=15):  # on the loop, nobody can open the gate
                timed_out.append(1)
            else:
                gate.release()
            return super().verify(hash, password)

    users._hasher = GatedHasher()
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    base = f"http://127.0.0.1:{server.server_port}"

    def login():
        body = urllib.parse.urlencode({"login": "mme.martin", "password": "devinette-1"}).encode()
        try:
            return urllib.request.urlopen(base + "/login", body, timeout=60).status
        except urllib.error.HTTPError as err:
            return err.code

    logins = [gevent.spawn(login) for _ in range(8)]
    with gevent.Timeout(30, False):
        while started[0] < users.ARGON2_SLOTS:
            gevent.sleep(0.01)
    healthz = urllib.request.urlopen(base + "/healthz", timeout=30).status
    in_flight = sum(1 for g in logins if not g.ready())
    checked_at_once = started[0]
    gate.release()
    gevent.joinall(logins, timeout=60)
    print(f"healthz {healthz}, logins in flight {in_flight}, checks started {checked_at_once == users.ARGON2_SLOTS}, "
          f"blocked {len(timed_out)}, logins {sorted(g.value for g in logins)}")
""")


def test_healthz_answers_while_8_logins_are_being_checked(tmp_path):
    out = subprocess.run([sys.executable, "-c", LOGINS_IN_FLIGHT, str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=240)
    assert out.stdout.strip() == ("healthz 200, logins in flight 8, checks started True, blocked 0, "
                                  f"logins {[401] * 8}"), out.stdout + out.stderr[-3000:]
