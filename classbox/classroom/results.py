"""A session's results: per-question counts, JSON and CSV exports, an SVG bar chart (pure)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from html import escape
from typing import Any

from classbox.classroom.activities import fold

MAX_DISTINCT = 12


def tally(activity: dict, answers: list[dict]) -> dict:
    """Counts of one activity's latest answer per pupil: bars (label, count) and correct count."""
    latest: dict[str, dict] = {}
    for row in answers:  # in seq order: the last one per pupil wins
        latest[row["pupil_id"]] = row
    spec = activity["spec"]
    values = [json.loads(r["answer"]) if isinstance(r["answer"], str) else r["answer"] for r in latest.values()]
    result: dict[str, Any] = {"answered": len(latest),
                              "correct": sum(1 for r in latest.values() if r["correct"] == 1)}
    if activity["type"] == "quiz" and spec["kind"] in ("single", "multiple"):
        counts = [0] * len(spec["choices"])
        for value in values:
            for index in ([value] if isinstance(value, int) else value):
                if 0 <= index < len(counts):
                    counts[index] += 1
        result["bars"] = [{"label": c, "count": n, "correct": i in spec.get("correct", [])}
                          for i, (c, n) in enumerate(zip(spec["choices"], counts))]
    elif activity["type"] == "quiz":
        shown: dict[str, str] = {}
        counter: Counter = Counter()
        for value in values:
            key = fold(str(value)) if spec["kind"] == "text" else _num(value)
            shown.setdefault(key, str(value) if spec["kind"] == "text" else _num(value))
            counter[key] += 1
        result["bars"] = [{"label": shown[k], "count": n, "correct": None}
                          for k, n in counter.most_common(MAX_DISTINCT)]
    return result


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def session_results(session: dict, pupils: list[dict], activities: list[dict], submissions: list[dict]) -> dict:
    """The whole session as one JSON-able document (the export of /api/sessions/<code>/results)."""
    by_activity: dict[str, list[dict]] = {}
    for row in submissions:
        by_activity.setdefault(row["activity_id"], []).append(row)
    return {
        "session": {"code": session["code"], "title": session["title"], "teacher": session["teacher_login"],
                    "state": session["state"], "created_wall": session["created_wall"],
                    "closed_wall": session["closed_wall"]},
        "pupils": [{"id": p["id"], "name": p["name"]} for p in pupils],
        "activities": [{"id": a["id"], "type": a["type"], "spec": a["spec"], "targets": a["targets"],
                        "results": tally(a, by_activity.get(a["id"], []))} for a in activities],
        "submissions": [{"id": s["id"], "activity_id": s["activity_id"], "pupil_id": s["pupil_id"],
                         "pupil_name": s["pupil_name"], "answer": json.loads(s["answer"]),
                         "correct": None if s["correct"] is None else bool(s["correct"]),
                         "file": ({"mime": s["file_mime"], "size": s["file_size"], "sha256": s["file_sha256"]}
                                  if s["file_path"] else None),
                         "seq": s["seq"]} for s in submissions],
    }


# A spreadsheet may split a cell on any of , ; tab | or a line break (whatever separator it guesses
# or is told), then evaluate each piece that starts (after blanks and quotes) with = + - or @.
FORMULA_START = re.compile(r"(^|[,;\t|\r\n])([\s\"]*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])")
SEPARATORS = {"comma": ",", "semicolon": ";"}


def neutral_cell(value: Any) -> str:
    """A CSV cell no piece of which a spreadsheet will run as a formula (an apostrophe before each)."""
    text = "" if value is None else str(value)
    return FORMULA_START.sub(lambda m: m.group(1) + m.group(2) + "'", text)


def results_csv(document: dict, delimiter: str = ",") -> str:
    """One line per submission: pupil, activity, question, answer, correct, file (CRLF lines)."""
    activities = {a["id"]: a for a in document["activities"]}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["seq", "eleve", "activite", "question", "reponse", "correct", "fichier", "submission_id"])
    for s in document["submissions"]:
        activity = activities.get(s["activity_id"], {"type": "?", "spec": {}})
        spec = activity["spec"]
        answer = s["answer"]
        if activity["type"] == "quiz" and spec.get("kind") in ("single", "multiple"):
            picked = [answer] if isinstance(answer, int) else answer
            answer = " | ".join(spec["choices"][i] for i in picked if 0 <= i < len(spec["choices"]))
        elif isinstance(answer, dict) and "score" in answer:  # an H5P exercise's score
            answer = f"{answer['score']}/{answer.get('max', '')}"
        elif isinstance(answer, dict):
            answer = answer.get("text") or answer.get("filename") or ""
        writer.writerow([neutral_cell(v) for v in (
            s["seq"], s["pupil_name"], activity["type"],
            spec.get("question") or spec.get("instructions") or (activity["type"] == "h5p" and spec.get("title")) or "",
            answer, "" if s["correct"] is None else ("oui" if s["correct"] else "non"),
            s["file"]["mime"] if s["file"] else "", s["id"])])
    return out.getvalue()


def bar_chart_svg(title: str, bars: list[dict], width: int = 640) -> str:
    """A horizontal bar chart as standalone SVG, every label escaped."""
    row_h, label_w, pad = 36, 220, 10
    height = pad * 2 + 30 + row_h * max(1, len(bars))
    top = max([b["count"] for b in bars] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<text x="{pad}" y="{pad + 18}" font-size="18" font-weight="bold">{escape(title[:80])}</text>']
    for i, bar in enumerate(bars):
        y = pad + 30 + i * row_h
        w = int((width - label_w - 60) * bar["count"] / top)
        fill = "#1d6b35" if bar.get("correct") else "#0b5cad"
        parts.append(f'<text x="{pad}" y="{y + 22}" font-size="15">{escape(str(bar["label"])[:28])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" fill="{fill}"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 22}" font-size="15">{bar["count"]}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
