"""Numeric query parameters: huge, negative, float-like or odd values get a clear 400 or are clamped, never a 500."""

from __future__ import annotations

import pytest

from classbox.library import import_path
from tests.library.conftest import make_zim, manifest, write_folder

ODD = ["1e20", "100000000000000000000", "-100000000000000000000", "9" * 5000, "1.5", "nan", "inf", "", " ", "٣",
       "0x10", "1_000"]


@pytest.fixture
def lib_client(app, lib_config, tmp_path):
    import_path(lib_config, write_folder(tmp_path / "pack", manifest()))
    import_path(lib_config, make_zim(tmp_path / "v.zim"))
    return app.test_client()


@pytest.mark.parametrize("path", ["/api/library?page={}", "/api/library?per_page={}", "/library?page={}&q=eau",
                                  "/api/zim/vikidia_fr_test/search?q=animal&limit={}",
                                  "/api/zim/vikidia_fr_test/suggest?q=ani&limit={}"])
@pytest.mark.parametrize("value", ODD)
def test_odd_numbers_get_a_clear_answer(lib_client, path, value):
    response = lib_client.get(path.format(value))
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    if response.status_code == 400 and response.is_json:
        assert "must be an integer" in response.get_json()["message"]


def test_a_huge_page_is_clamped_to_an_empty_page(lib_client):
    body = lib_client.get("/api/library?page=100000000000000000000").get_json()
    assert body["items"] == [] and body["has_more"] is False


def test_per_page_is_clamped(lib_client):
    assert lib_client.get("/api/library?per_page=100000000000000000000").get_json()["per_page"] == 100
    assert lib_client.get("/api/library?per_page=-3").get_json()["per_page"] == 1
