"""The H5P player on its own site (`[library] h5p_origin`): a box page's frame is sent there naming
the page, which alone may frame it; there it keeps an origin (its files are cached) but reaches only
H5P files; opened on that site by itself, or without a valid page, it stays opaque."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from itsdangerous import TimestampSigner

from classbox import close_app, create_app
from classbox.config import ConfigError
from tests.helpers import make_config
from tests.library.test_h5p_serving import imported, player_options

BOX = "http://classbox-ecole.local"
PLAYER = "http://10.42.0.1"


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path / "data", **{"library.h5p_origin": PLAYER + "/"})


def signed_parent(client, rid: str, base_url: str = BOX, **headers) -> str:
    """The `parent` the box's redirect names (signed by the box)."""
    response = client.get(f"/h5p/play/{rid}", base_url=base_url, headers=headers)
    return parse_qs(urlsplit(response.headers["Location"]).query)["parent"][0]


def unsigned(parent: str) -> str:
    """The origin a signed `parent` names (its signature stripped, not checked)."""
    return parent.rsplit(".", 2)[0]


def test_a_box_page_frame_is_sent_to_the_players_site_naming_the_page(client, config, tmp_path):
    rid = imported(config, tmp_path)
    response = client.get(f"/h5p/play/{rid}", base_url=BOX)
    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{PLAYER}/h5p/play/{rid}"
    assert list(parse_qs(target.query)) == ["parent"] and unsigned(parse_qs(target.query)["parent"][0]) == BOX


def test_on_the_players_site_it_has_an_origin_framed_only_by_that_page(client, config, tmp_path):
    rid = imported(config, tmp_path)
    parent = signed_parent(client, rid)
    response = client.get(f"/h5p/play/{rid}", query_string={"parent": parent}, base_url=PLAYER)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts allow-same-origin;")
    assert f"connect-src {PLAYER}/h5p/;" in policy and f"frame-ancestors {BOX}" in policy
    options = player_options(client, f"{rid}?{urlencode({'parent': parent})}", base_url=PLAYER)[1]
    assert options["parent"] == BOX  # where its messages may go
    assert options["player"]["librariesPath"].startswith("/h5p/libs/")  # its own site's files


@pytest.mark.parametrize("parent", ["", PLAYER, "javascript:alert(1)", "http://a b", "http://x/'; script-src *",
                                    BOX, "http://evil.example", "signed-with-a-guessed-key"])
def test_on_the_players_site_without_a_valid_page_around_it_stays_opaque(client, config, tmp_path, parent):
    """Only a parent the box's redirect signed is let frame the player and receive its statements."""
    if parent == "signed-with-a-guessed-key":  # signed here, not at collection: its timestamp would make the
        # test's id differ between xdist workers that collect in different seconds
        parent = TimestampSigner("guess").sign("http://evil.example").decode()
    rid = imported(config, tmp_path)
    response = client.get(f"/h5p/play/{rid}", query_string={"parent": parent} if parent else None, base_url=PLAYER)
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;") and "frame-ancestors 'self'" in policy


def test_a_signed_parent_cannot_be_edited(client, config, tmp_path):
    rid = imported(config, tmp_path)
    parent = signed_parent(client, rid).replace(BOX, "http://evil.example", 1)
    response = client.get(f"/h5p/play/{rid}", query_string={"parent": parent}, base_url=PLAYER)
    assert response.headers["Content-Security-Policy"].startswith("sandbox allow-scripts;")
    assert "evil.example" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/login", "/connect", "/library", "/teacher"])
def test_the_players_site_answers_only_the_player(client, config, path):
    """An exercise's script in the player's origin finds no sign-in nor box page on that site."""
    assert client.get(path, base_url=PLAYER).status_code == 404
    assert client.get(path, base_url=BOX).status_code != 404 or path == "/teacher"


def test_box_pages_may_frame_the_players_site(client, config, tmp_path):
    rid = imported(config, tmp_path)
    for path in ("/library", f"/library/{rid}", "/"):
        policy = client.get(path, base_url=BOX).headers.get("Content-Security-Policy", "")
        assert f"frame-src 'self' {PLAYER};" in policy, path


@pytest.mark.parametrize("value", ["10.42.0.1", "ftp://10.42.0.1", "http://10.42.0.1/h5p", "http://:80"])
def test_a_player_site_that_is_not_an_origin_is_refused(tmp_path, value):
    with pytest.raises(ConfigError, match="h5p_origin"):
        make_config(tmp_path / "data", **{"library.h5p_origin": value})


def test_behind_nginx_the_page_is_named_with_its_port_and_the_same_name_is_the_players_site(tmp_path):
    config = make_config(tmp_path / "data", **{"library.h5p_origin": "http://10.42.0.1:8081"})
    app = create_app(config)
    app.config.update(TESTING=True)
    try:
        client = app.test_client()
        rid = imported(config, tmp_path)
        # nginx passes `Host: classbox-ecole.local` (no port); the frame's Referer has the page's own port
        response = client.get(f"/h5p/play/{rid}", base_url="http://classbox-ecole.local",
                              headers={"Referer": "http://classbox-ecole.local:8080/"})
        assert unsigned(parse_qs(urlsplit(response.headers["Location"]).query)["parent"][0]) == "http://classbox-ecole.local:8080"
        parent = parse_qs(urlsplit(response.headers["Location"]).query)["parent"][0]
        # a Referer naming another host is not the page around the frame
        response = client.get(f"/h5p/play/{rid}", base_url="http://classbox-ecole.local",
                              headers={"Referer": "http://evil.example/"})
        assert unsigned(parse_qs(urlsplit(response.headers["Location"]).query)["parent"][0]) == "http://classbox-ecole.local"
        # the player's name without a port: its site (not sent there again)
        response = client.get(f"/h5p/play/{rid}", query_string={"parent": parent}, base_url="http://10.42.0.1")
        assert response.status_code == 200
        assert "frame-ancestors http://classbox-ecole.local:8080" in response.headers["Content-Security-Policy"]
    finally:
        close_app(app)
