"""Teacher step forms given digits that are not 0-9 ("²", "٣"): a clear refusal, never a 500."""

from __future__ import annotations

import pytest

from tests.lessons.test_pages import create, steps_of, version


@pytest.fixture
def lesson_url(client, login, teacher) -> str:
    login(teacher)
    return create(client)


@pytest.mark.parametrize("digits", ["²", "٣", "1²"])
def test_a_countdown_in_unicode_digits_is_refused_with_the_reason(client, lesson_url, digits):
    page = client.get(f"{lesson_url}/steps/new?type=quiz:single").get_data(as_text=True)
    response = client.post(f"{lesson_url}/steps/new?type=quiz:single", data={
        "version": version(page), "question": "1/2 = ?", "choice-0": "2/4", "choice-1": "1/3", "correct": "0",
        "duration_s": digits})
    assert response.status_code == 400 and "secondes entières" in response.get_data(as_text=True)
    assert steps_of(client, lesson_url) == []


def test_a_right_choice_in_unicode_digits_is_ignored(client, lesson_url):
    page = client.get(f"{lesson_url}/steps/new?type=quiz:multiple").get_data(as_text=True)
    response = client.post(f"{lesson_url}/steps/new?type=quiz:multiple", data={
        "version": version(page), "question": "Pairs ?", "choice-0": "2", "choice-1": "3", "correct": ["0", "²"]})
    assert response.status_code == 303
    assert steps_of(client, lesson_url)[0]["correct"] == [0]


def test_a_version_in_unicode_digits_is_a_stale_form(client, lesson_url):
    response = client.post(f"{lesson_url}/title", data={"version": "²", "title": "Autre"})
    assert response.status_code in (303, 400), response.status_code
    assert client.get("/api/lessons/" + lesson_url.rsplit("/", 1)[1]).get_json()["title"] == "Fractions"
