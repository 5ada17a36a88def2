"""The app starts on a fresh data dir and answers its basic pages."""


def test_home_is_french(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_healthz(client):
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
