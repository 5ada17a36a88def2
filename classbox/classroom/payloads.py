"""How the classroom fills sync's records (classbox.sync.records) from its rows."""

from __future__ import annotations

from typing import Any

from classbox.sync import records


def pupil_part(pupil: dict[str, Any]) -> records.Pupil:
    """Who the ENT sees: a class member's stable pseudonymous id across sessions, else the session's pupil id."""
    return {"id": pupil.get("member_id") or pupil["id"], "name": pupil["name"]}


def session_part(session: dict[str, Any]) -> records.Session:
    return {"id": session["id"], "code": session["code"], "title": session["title"],
            "teacher": session["teacher_login"]}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _correct(kind: str, spec: dict[str, Any]) -> list[str]:
    """The teacher's answer as xAPI correctResponsesPattern (one pattern per accepted answer)."""
    if kind in ("single", "multiple"):
        return [records.CHOICE_SEPARATOR.join(str(i) for i in spec["correct"])]
    if kind == "text":  # compared without case or accents (activities.fold)
        return ["{case_matters=false}" + answer for answer in spec["correct"]]
    tolerance = spec.get("tolerance", 0)
    return [f"{_number(spec['correct'] - tolerance)}[:]{_number(spec['correct'] + tolerance)}"]


def activity_part(activity: dict[str, Any]) -> records.Activity:
    """An activity as the ENT sees it: for a question its interaction, choices and correct answer."""
    spec = activity["spec"]
    part: records.Activity = {"id": activity["id"], "type": activity["type"],
                              "title": spec.get("title") or spec.get("question") or spec.get("instructions")
                              or spec.get("text") or activity["type"]}
    if activity["type"] == "h5p":
        part["content"] = {"id": spec["resource_id"], "title": spec["title"]}
        if spec.get("library"):
            part["content"]["library"] = spec["library"]
    if activity["type"] == "quiz":
        part["question"] = spec["question"]
        part["interaction"] = records.INTERACTIONS[spec["kind"]]
        if "choices" in spec:
            part["choices"] = [{"id": str(i), "text": text} for i, text in enumerate(spec["choices"])]
        if spec.get("correct") not in (None, []):  # xAPI allows no empty pattern
            part["correct"] = _correct(spec["kind"], spec)
    return part


def attended(pupil: dict[str, Any], session: dict[str, Any]) -> tuple:
    """The outbox entry (kind, target, record, key, pupil id) of a pupil's first join."""
    return (records.XAPI, records.LRS, records.attended(pupil_part(pupil), session_part(session)),
            records.statement_id(records.ATTENDED, pupil["id"]), pupil["id"])


def submitted(sub: dict[str, Any]) -> list[tuple]:
    """The outbox entries of one stored answer or hand-in: its statement, and its file if any."""
    pupil, session, activity = pupil_part(sub["pupil"]), session_part(sub["session"]), activity_part(sub["activity"])
    if sub["activity"]["type"] == "quiz":
        record = records.answered(pupil, session, activity, sub["response"], sub["correct"])
    elif sub["activity"]["type"] == "h5p":
        score = sub["answer"]
        record = records.scored(pupil, session, activity, score["score"], score["max"], sub["correct"],
                                sub["response"], score.get("completed", False))
    else:
        record = records.handed_in(pupil, session, activity, sub["response"])
    entries = [(records.XAPI, records.LRS, record, records.statement_id(record["event"], sub["id"]), pupil["id"])]
    file = sub["file"]
    if file:
        entries.append((records.WEBDAV, records.WORKSPACE,
                        records.handed_in_file(file["path"], file["filename"], file["mime"], file["size"],
                                               file["sha256"], pupil, session, activity),
                        f"webdav:{sub['id']}", pupil["id"]))
    return entries
