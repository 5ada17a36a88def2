"""/admin: the technician sees what is wrong first, then 24-hour charts drawn on the box."""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader

from classbox.health import charts
from classbox.health.charts import line_chart
from classbox.health.heartbeat import record
from classbox.web.admin_panels import AdminPanel, register_panel


@pytest.fixture
def box(config):
    config["box"].update(name="École de Saint-Julien", school_uai="0420001A", academie="Lyon")
    return config


@pytest.fixture
def page(box, app, client, admin, login, service, db, fake_psutil, clock, monkeypatch):
    """The /admin page after an hour of samples, the last one with a hot CPU."""
    monkeypatch.setattr("time.time", clock.wall)
    for minute in range(60):
        fake_psutil.busy += 10
        fake_psutil.idle += 50
        clock.advance(60)
        service.tick(db)
    fake_psutil.temps["cpu_thermal"][0] = fake_psutil.temps["cpu_thermal"][0]._replace(current=87.0)
    clock.advance(60)
    service.tick(db)
    login(admin)

    def get() -> str:
        response = client.get("/admin")
        assert response.status_code == 200
        return response.get_data(as_text=True)
    return get


def test_admin_needs_an_admin(client, teacher, login):
    assert client.get("/admin").status_code in (302, 401)
    login(teacher)
    assert client.get("/admin").status_code == 403


def test_alerts_come_first(page):
    html = page()
    critical = html.index("Critique · Température")
    assert critical < html.index("Dernières 24 heures") < html.index("Stockage")
    assert "87,0 °C" in html or "87.0 °C" in html


def test_charts_are_inline_svg_without_external_urls(page):
    html = page()
    charts = re.findall(r'<svg class="chart"[^>]*role="img"', html)
    assert len(charts) == 5
    assert "<polyline" in html
    for title in ("Processeur", "Température", "Disque des données", "Élèves connectés", "Envois en attente"):
        assert f">{title}" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html


def test_identity_and_sizes(page, app):
    html = page()
    for text in (app.config["BOX_ID"], "0420001A", "Lyon", "École de Saint-Julien", "Bibliothèque",
                 "Base de données"):
        assert text in html
    assert "Go" in html  # disk size in French units


def test_fleet_push_failure_is_visible(box, page, db, clock):
    box["fleet"]["pushgateway"] = "http://127.0.0.1:9"
    record(db, False, clock.wall(), "ConnectionRefusedError: [Errno 111] Connection refused")
    html = page()
    assert "Échec de l&#39;envoi" in html or "Échec de l'envoi" in html
    assert "Connection refused" in html


def test_other_features_panels_follow(app, page):
    app.jinja_env.loader = ChoiceLoader([DictLoader({"test/panel.html": "<p>Panneau n°{{ ctx.n }}</p>"}),
                                         app.jinja_env.loader])
    register_panel(app, AdminPanel("demo", "Synchronisation (démo)", "test/panel.html", lambda: {"n": 7}))
    html = page()
    assert "Panneau n°7" in html
    assert html.index("Critique · Température") < html.index("Synchronisation (démo)")


def test_chart_with_gaps_and_no_data():
    empty = line_chart("c", "Vide", "%", [], 0.0, 86400.0, y_max=100.0)
    assert "aucune donnée" in empty and "<polyline" not in empty
    gap = line_chart("c", "Trou", "%", [(0, 1.0), (60, 2.0), (4000, 3.0), (4060, None), (4120, 5.0)],
                     0.0, 86400.0)
    assert gap.count("<polyline") == 1 and gap.count("<circle") == 2
    assert "maximum 5" in gap


def test_a_full_day_is_averaged_for_drawing():
    points = [(60.0 * i, 10.0 if i % 2 else 30.0) for i in range(1440)]
    chart = line_chart("c", "Jour", "%", points, 0.0, 86400.0, y_max=100.0)
    coordinates = chart.split('points="')[1].split('"')[0].split()
    assert 100 < len(coordinates) <= 320
    assert "minimum 10 %, maximum 30 %" in chart  # the summary uses the real values
    plot_h = charts.HEIGHT - charts.TOP - charts.BOTTOM
    drawn = [(charts.TOP + plot_h - float(c.split(",")[1])) / plot_h * 100 for c in coordinates]
    assert all(15 < v < 25 for v in drawn)  # 10 and 30 alternate minute by minute: slots average them


def test_page_renders_when_every_reader_fails(client, admin, login, service, db, fake_psutil):
    fake_psutil.raise_on = {name: RuntimeError("sensor gone") for name in (
        "cpu_times", "getloadavg", "virtual_memory", "swap_memory", "disk_usage", "disk_io_counters",
        "sensors_temperatures", "net_if_stats")}
    service.tick(db)
    login(admin)
    response = client.get("/admin")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Espace disque illisible" in html and "inconnu" in html


def test_page_renders_before_any_sample(client, admin, login):
    login(admin)
    html = client.get("/admin").get_data(as_text=True)
    assert "l&#39;agent classbox est-il lancé" in html or "l'agent classbox est-il lancé" in html


def test_the_health_charts_hours_are_in_the_box_time_zone(tmp_path):
    from classbox import create_app
    from classbox.config import load_config

    midnight = 1764115200.0  # 26/11/2025 00:00 UTC
    config = load_config(path="/dev/null", env={"CLASSBOX_BOX_TIMEZONE": "America/Cayenne"},
                         overrides={"data_dir": tmp_path / "data"})
    with create_app(config).test_request_context("/admin"):
        chart = line_chart("c", "Température", "°C", [(midnight, 50.0)],
                           midnight, midnight + 4 * 3600)
    assert ">21:00</text>" in chart and ">01:00</text>" in chart  # 00:00 and 04:00 UTC in Cayenne (UTC-3)
