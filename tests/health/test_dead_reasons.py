"""The dead-records alert says why records are dead: refused by the ENT, or abandoned after the sync agent kept being killed."""

from __future__ import annotations

import json
import time

from flask_babel import force_locale

from classbox.health import alerts
from classbox.health.admin import alert_text_filter
from classbox.sync import outbox
from classbox.sync.crashes import DEAD_AFTER, CrashWatch, marker
from tests.sync.conftest import enqueue_answers


def killed_to_death(config, db, seq: int) -> None:
    """The agent was killed DEAD_AFTER times in a row while sending `seq` (as sync/crashes.py counts it)."""
    note = marker(config.runtime_dir, "lrs")
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(json.dumps({"seqs": [seq], "kills": DEAD_AFTER - 1, "sending": True, "pid": 2 ** 22 + 1}))
    assert CrashWatch(config.runtime_dir, 2.0).check(db, "lrs", time.time())


def dead_alert(app, sampler, db, cfg) -> tuple[str, str, str]:
    alert = alerts.evaluate(sampler.sample(db), cfg)["dead_records"]
    with app.test_request_context():
        with force_locale("en"):
            english = alert_text_filter(alert)
    return alert["level"], alert["message"], english


def test_records_abandoned_after_repeated_crashes_are_not_called_refused_by_the_ent(app, config, db, sampler):
    cfg = config["health"]
    enqueue_answers(db, 3)
    killed_to_death(config, db, 1)
    level, french, english = dead_alert(app, sampler, db, cfg)
    assert level == "warn"
    assert "ENT" not in french and "plantages" in french and french.startswith("1 ")
    assert "refused" not in english and "crash" in english
    outbox.mark_dead_many(db, [(2, "HTTP 400: statement refused")])  # and one the LRS refused
    level, french, english = dead_alert(app, sampler, db, cfg)
    assert "1 refusé(s) par l'ENT" in french and "1 abandonné(s)" in french and french.startswith("2 ")
    assert "1 refused by the ENT" in english and "1 abandoned" in english


def test_records_refused_by_the_ent_are_said_so(app, config, db, sampler):
    enqueue_answers(db, 2)
    outbox.mark_dead_many(db, [(1, "HTTP 400: statement refused"), (2, "HTTP 422: bad verb")])
    level, french, english = dead_alert(app, sampler, db, config["health"])
    assert (level, french) == ("warn", "2 envoi(s) refusé(s) par l'ENT (à rejouer)")
    assert "refused by the ENT" in english
