"""The /zim/ fast path answers exactly like the Flask view, without going through Flask."""

from __future__ import annotations

import pytest
from libzim.writer import Creator

from classbox.library import import_path
from classbox.library.zimfast import ZimFastPath
from tests.library.conftest import Article


@pytest.fixture
def zim_app(app, lib_config, tmp_path):
    path = tmp_path / "accents.zim"
    with Creator(str(path)) as creator:
        creator.set_mainpath("Accueil")
        creator.add_item(Article("Accueil", "Accueil", "<html><body>Bienvenue</body></html>"))
        creator.add_item(Article("Forêt/Écureuil", "Écureuil", "<html><body>L'écureuil roux</body></html>"))
        creator.add_item(Article("style/main.css", "", "body{color:#111}", "text/css"))
        creator.add_item(Article("img/vide.png", "", "\x89PNG", "image/png"))
        creator.add_redirection("Ecureuil", "Ecureuil", "Forêt/Écureuil", {})
        for key, value in {"Name": "accents_fr", "Title": "Accents", "Language": "fra"}.items():
            creator.add_metadata(key, value)
    assert import_path(lib_config, path).status == "added"
    assert isinstance(app.wsgi_app, ZimFastPath)
    return app


def _answer(client, method: str, url: str, headers: dict) -> tuple:
    response = client.open(url, method=method, headers=headers)
    return response.status_code, sorted(response.headers.items()), response.data


URLS = ["/zim/accents_fr/Accueil", "/zim/accents_fr/For%C3%AAt/%C3%89cureuil", "/zim/accents_fr/style/main.css",
        "/zim/accents_fr/img/vide.png", "/zim/accents_fr/Ecureuil", "/zim/accents_fr/", "/zim/accents_fr/Absent",
        "/zim/inconnu/Accueil", "/zim/accents_fr//Accueil", "/zim/accents_fr/a/../Accueil", "/zim/accents_fr/%ff"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("url", URLS)
def test_fast_path_and_flask_view_answer_the_same(zim_app, url, method):
    client = zim_app.test_client()
    fast = zim_app.wsgi_app
    etag = client.get("/zim/accents_fr/Accueil").headers["ETag"]
    cases = [{}, {"If-None-Match": etag}, {"If-None-Match": "*"}, {"If-None-Match": '"autre"'}]
    answers = [_answer(client, method, url, headers) for headers in cases]
    zim_app.wsgi_app = fast.inner  # Flask alone
    try:
        assert [_answer(client, method, url, headers) for headers in cases] == answers
    finally:
        zim_app.wsgi_app = fast


def test_found_entries_skip_flask_and_the_rest_goes_through_it(zim_app):
    seen = []
    zim_app.before_request(lambda: seen.append(1) and None)
    client = zim_app.test_client()
    page = client.get("/zim/accents_fr/For%C3%AAt/%C3%89cureuil")
    assert page.status_code == 200 and "écureuil roux" in page.get_data(as_text=True)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "sandbox" in page.headers["Content-Security-Policy"]
    assert client.get("/zim/accents_fr/style/main.css", headers={"If-None-Match": client.get(
        "/zim/accents_fr/style/main.css").headers["ETag"]}).status_code == 304
    assert seen == []
    assert client.get("/zim/accents_fr/Ecureuil").status_code == 302  # redirects: Flask
    assert client.get("/zim/accents_fr/Absent").status_code == 404
    assert len(seen) == 2
