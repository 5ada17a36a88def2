"""Moodle GIFT import and export against a corpus of real-world GIFT constructs (tests/lessons/fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classbox.lessons.gift import parse_gift
from classbox.lessons.giftexport import export_gift
from classbox.lessons.giftsyntax import MAX_QUESTIONS
from classbox.lessons.steps import LessonError

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = sorted(FIXTURES.glob("*.gift"))


def steps_of(text: str | bytes) -> list[dict]:
    return [step for lesson in parse_gift(text).lessons for step in lesson.steps]


def one(text: str) -> dict:
    [step] = steps_of(text)
    return step


def test_moodle_documentation_examples():
    result = parse_gift((FIXTURES / "moodle-docs.gift").read_bytes())
    assert [lesson.title for lesson in result.lessons] == ["Leçon importée", "tom / dick / harry"]
    assert [(s.line, s.title) for s in result.skipped] == [(15, "Q4"), (25, "Q7"), (82, "Match")]
    assert "matching" in result.skipped[0].reason and "partial credit" in result.skipped[1].reason
    steps = {s.get("title"): s for s in result.lessons[0].steps}
    assert steps["Q1"]["truefalse"] and steps["Q1"]["correct"] == 0
    assert steps["Q3"] == {"type": "quiz", "kind": "text", "question": "Two plus _____ equals four.",
                           "correct": ["two", "2"], "title": "Q3"}
    assert (steps["Q5"]["correct"], steps["Q5"]["tolerance"]) == (3, 2)
    assert (steps["Q6"]["min"], steps["Q6"]["max"]) == (1, 5)
    assert steps["Q8"] == {"type": "handin", "instructions": "How are you?", "accept": ["text"], "title": "Q8"}


def test_a_moodle_export_with_categories_html_weights_and_feedback():
    result = parse_gift((FIXTURES / "moodle-export.gift").read_bytes())
    assert [lesson.title for lesson in result.lessons] == ["Défaut pour 5e A / Fractions", "Défaut pour 5e A / Décimaux"]
    first = result.lessons[0].steps
    assert first[0]["question"] == "Quelle fraction est égale à 1/2 ?"
    assert first[0]["feedback"] == ["Oui : 2/4 = 1/2.", "Non.", None]
    assert first[1]["general_feedback"] == "3/4 = 0,75 > 0,5" and first[1]["feedback"] == ["Bravo.", "Si : 3/4 = 0,75."]
    assert first[2]["correct"] == ["trois", "3"]  # =%100% is full credit
    assert first[4]["weights"] == [50, 50, -100] and first[4]["correct"] == [0, 1]
    assert first[6] == {"type": "message", "text": "Partie 2 : les décimaux", "title": "Description"}
    assert [(s.line, s.title) for s in result.skipped] == [(47, "Appariement")]
    assert result.lessons[1].steps[1]["weights"] == [100, 50, 0]
    assert result.lessons[1].steps[2]["question"] == "Comment s'appelle la {virgule} dans 3,5 ?"


def test_bom_and_crlf_from_windows_editors():
    data = (FIXTURES / "elea-windows.gift").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    steps = steps_of(data)
    assert [s["title"] for s in steps] == ["Capitale", "Calcul", "Couleurs"]
    assert steps[1]["question"] == "7 × 8 = ?" and steps[2]["correct"] == [0, 1, 2]


@pytest.mark.parametrize("escaped, text", [(r"a \~ b", "a ~ b"), (r"a \= b", "a = b"), (r"a \# b", "a # b"),
                                           (r"a \{ b \}", "a { b }"), (r"a \: b", "a : b"), (r"a\nb", "a\nb")])
def test_escapes(escaped, text):
    assert one(f"::T\\:1::{escaped} {{=ok}}")["question"] == text
    assert one(f"::T::Q{{={escaped} ~other}}")["choices"][0] == text


def test_comments_and_markdown_and_plain_formats():
    assert one("// a comment\n[markdown]Un **mot** ?{=oui}")["question"] == "Un **mot** ?"
    assert one("[plain]<b>gras</b> ?{=oui}")["question"] == "<b>gras</b> ?"  # kept as text, escaped when shown


def test_html_becomes_text_and_scripts_never_survive():
    step = one("[html]<p>Quel <b>mot</b> ?<script>alert(1)</script><img src=x onerror=alert(2)></p>{=<i>oui</i> ~non}")
    assert step["question"] == "Quel mot ?" and step["choices"] == ["oui", "non"]
    assert "<" not in export_gift([{"title": "t", "steps": [step]}])


@pytest.mark.parametrize("text, reason", [
    ("::M::Q {=a -> 1 =b -> 2 =c -> 3}", "matching"),
    ("::N::Q {#=1:0 =%50%1:1}", "partial credit"),
    ("::S::Q {=%50%a =b}", "partial credit"),
    ("::U::Q {1:MULTICHOICE:a}", "unknown answer syntax"),
    ("::C::Q {=a ~b ~c ~d ~e ~f ~g ~h ~i ~j ~k}", "2 to 10"),
])
def test_unsupported_questions_are_skipped_and_reported_by_line(text, reason):
    result = parse_gift(f"::Ok::Q {{T}}\n\n// comment\n{text}\n")
    assert len(result.lessons[0].steps) == 1
    [skipped] = result.skipped
    assert skipped.line == 4 and reason in skipped.reason


@pytest.mark.parametrize("text, line, message", [
    ("Q1 {=a}\n\nQ2 {=a\n\nQ3 {=b}", 3, "never closed"),
    ("Q1 {=a}}\n", 1, "without its '{'"),
    ("Q1 {=a {=b}}", 1, "another '{' comes on line 1"),
    ("\n\nQ {#2..1}", 3, "reversed range"),
    ("Q {~%50%a ~%30%b ~c}", 1, "sum to 80%"),
    ("Q {~%150%a ~b}", 1, "outside -100..100"),
    ("Q {#3,14}", 1, "not a number"),
    ("Q {#}", 1, "without a value"),
    ("::Q {=a}", 1, "not closed by '::'"),
    ("Q {=a} and {=b}", 1, "two answer blocks"),
])
def test_syntax_errors_name_the_line(text, line, message):
    with pytest.raises(LessonError) as err:
        parse_gift(text)
    assert err.value.line == line and message in str(err.value)
    assert f"line {line}" in str(err.value)


def test_a_1_mb_question_is_refused():
    with pytest.raises(LessonError, match="line 3: question larger than 64 KB"):
        parse_gift("Q {T}\n\n" + "x" * 1_000_000 + " {T}")


def test_5000_questions_are_refused():
    with pytest.raises(LessonError, match=f"more than {MAX_QUESTIONS} questions"):
        parse_gift("Q {T}\n\n" * 5000)


def test_not_utf8_names_the_line():
    with pytest.raises(LessonError, match="line 2: not UTF-8"):
        parse_gift(b"Q {T}\n\xe9t\xe9 {T}")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_round_trip_keeps_every_supported_question(path):
    first = parse_gift(path.read_bytes())
    exported = export_gift([{"title": lesson.title, "steps": lesson.steps} for lesson in first.lessons])
    again = parse_gift(exported.encode("utf-8"))
    assert again.skipped == []
    assert [(lesson.title, lesson.steps) for lesson in again.lessons] == \
        [(lesson.title, lesson.steps) for lesson in first.lessons]


def test_round_trip_of_tricky_text():
    tricky = ["[html] is literal", "//not a comment", "$CATEGORY: no", "::colons::", "a\\b", "ligne 1\nligne 2",
              "{braces} ~tilde =equal #hash", "  espaces  ", "émoji 🧮"]
    steps = [{"type": "quiz", "kind": "text", "question": q.strip(), "correct": [q.strip()]} for q in tricky]
    steps += [{"type": "message", "text": q.strip()} for q in tricky]
    again = steps_of(export_gift([{"title": "a/b: c", "steps": steps}]))
    assert again == steps


def test_steps_gift_cannot_hold_become_comments():
    text = export_gift([{"title": "L", "steps": [{"type": "resource", "resource_id": "v1", "title": "Vidéo"},
                                                 {"type": "pause", "text": "Stop"}]}])
    assert "// step 1: resource Vidéo (no GIFT form)" in text and "// step 2: pause Stop" in text
    assert parse_gift(text).lessons == []


def _random_step(rng) -> dict:
    alphabet = "abcé É~=#{}:\\/[]$%-> 0123456789\n"

    def text(n=12):
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, n))).strip() or "x"

    kind = rng.choice(["single", "multiple", "text", "number", "range", "truefalse", "essay", "message"])
    step: dict = {"type": "quiz", "question": text(40)}
    if rng.random() < 0.5:
        step["title"] = text()
    if kind in ("single", "multiple"):
        n = rng.randint(2, 6)
        choices = [f"{i} {text()}" for i in range(n)]
        step.update(kind=kind, choices=choices, correct=rng.randrange(n) if kind == "single" else [0, n - 1])
        if kind == "multiple":
            step["weights"] = [50.0 if i in (0, n - 1) else -50.0 for i in range(n)]
        if rng.random() < 0.5:
            step["feedback"] = [rng.choice([None, text()]) for _ in range(n)]
    elif kind == "text":
        answers = [text().replace("->", "-") for _ in range(rng.randint(1, 4))]  # GIFT reads "=a -> b" as matching
        step.update(kind="text", correct=answers)
    elif kind == "number":
        step.update(kind="number", correct=rng.uniform(-1e6, 1e6), tolerance=rng.choice([0.0, 0.5, 1e-3]))
    elif kind == "range":
        low = rng.uniform(-100, 100)
        step.update(kind="number", min=low, max=low + rng.uniform(0, 10))
    elif kind == "truefalse":
        step.update(kind="single", choices=["Vrai", "Faux"], correct=rng.randrange(2), truefalse=True,
                    feedback=[text(), None])
    elif kind == "essay":
        step = {"type": "handin", "instructions": step["question"], "accept": ["text"]}
    else:
        step = {"type": "message", "text": step["question"]}
    if rng.random() < 0.3 and step["type"] != "message":
        step["general_feedback"] = text()
    return step


def test_round_trip_property_over_generated_questions():
    import random

    from classbox.lessons.steps import validate_steps

    rng = random.Random(17)
    for _ in range(50):
        steps = validate_steps([_random_step(rng) for _ in range(20)])
        assert steps_of(export_gift([{"title": "Générée", "steps": steps}])) == steps
