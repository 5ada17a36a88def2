"""The pictograms a join page shows live in the pupil shell: precached, immutable, cache-first."""

from __future__ import annotations

import json

from classbox.classes import pictograms


def _shell(client) -> list[str]:
    first_line = client.get("/sw.js").get_data(as_text=True).split("\n", 1)[0]
    return json.loads(first_line[len("self.CLASSBOX_SW = "):-1])["shell"]


def test_the_service_worker_precaches_every_pictogram_by_its_immutable_url(client):
    shell = _shell(client)
    for picture in pictograms.PICTURE_IDS:
        url = pictograms.url(picture)
        assert url in shell, url
        served = client.get(url)
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"
        assert "immutable" in served.headers["Cache-Control"]


def test_the_worker_answers_pictograms_from_its_cache_first(client):
    source = client.get("/sw.js").get_data(as_text=True)
    routed = source.split('self.addEventListener("fetch"', 1)[1].split("});", 1)[0]
    assert '"/pictograms/"' in routed and "assetCacheFirst" in routed
