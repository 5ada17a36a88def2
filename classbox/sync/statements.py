"""Turning xAPI records (classbox.sync.records) into xAPI 1.0.3 statements, at send time."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from classbox.sync import records
from classbox.sync.clock import Dated

VERBS = {
    records.ANSWERED: ("http://adlnet.gov/expapi/verbs/answered", "a répondu"),
    records.HANDED_IN: ("http://adlnet.gov/expapi/verbs/completed", "a rendu"),
    records.ATTENDED: ("http://adlnet.gov/expapi/verbs/attended", "a participé"),
    records.COMPLETED: ("http://adlnet.gov/expapi/verbs/completed", "a terminé"),
}
ACTIVITY_TYPES = {
    "quiz": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "handin": "http://adlnet.gov/expapi/activities/assessment",
    "resource": "http://adlnet.gov/expapi/activities/media",
    "session": "http://adlnet.gov/expapi/activities/meeting",
    "h5p": "http://adlnet.gov/expapi/activities/cmi.interaction",
}
H5P_LIBRARIES = "http://h5p.org/libraries/"  # H5P's own category of a statement: the content type
DEFAULT_TYPE = "http://adlnet.gov/expapi/activities/interaction"


class StatementError(ValueError):
    """A payload that cannot become a valid statement (the record goes dead)."""


def iso(epoch: float) -> str:
    """RFC 3339 UTC with milliseconds, as xAPI wants."""
    stamp = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class StatementBuilder:
    """Builds statements for one box: its homePage, its id, the roster of ENT logins."""

    def __init__(self, box_home: str, box_id: str, school_uai: str = "",
                 ent_home: str = "", roster: Callable[[str], str | None] = lambda name: None):
        self.box_home = box_home.rstrip("/")
        self.box_id = box_id
        self.school_uai = school_uai
        self.ent_home = ent_home.rstrip("/")
        self.roster = roster
        self.ext = f"{self.box_home}/xapi/ext/"

    def actor(self, pupil: dict[str, Any]) -> dict[str, Any]:
        """The ENT account when the roster maps the pseudonym, else a pseudonymous box account."""
        login = self.roster(str(pupil.get("name") or "")) if self.ent_home else None
        if login:
            return {"objectType": "Agent", "account": {"homePage": self.ent_home, "name": login}}
        pupil_id = str(pupil.get("id") or "")
        if not pupil_id:
            raise StatementError("payload without pupil id")
        return {"objectType": "Agent", "account": {"homePage": self.box_home, "name": pupil_id}}

    def build(self, payload: dict[str, Any], statement_id: str, seq: int, when: Dated) -> dict[str, Any]:
        """One statement from one xAPI record (read defensively: a row may predate this version)."""
        event = payload.get("event")
        if event not in VERBS:
            raise StatementError(f"unknown event {event!r}")
        verb_id, verb_fr = VERBS[event]
        session = payload.get("session") or {}
        activity = payload.get("activity") or {}
        if not isinstance(session, dict) or not isinstance(activity, dict):
            raise StatementError("session and activity must be objects")
        statement: dict[str, Any] = {
            "id": statement_id,
            "actor": self.actor(payload.get("pupil") or {}),
            "verb": {"id": verb_id, "display": {"fr-FR": verb_fr}},
            "object": self._object(event, activity, session),
            "context": self._context(session, seq, when),
            "timestamp": iso(when.epoch),
        }
        result = self._result(event, payload.get("result"))
        if result:
            statement["result"] = result
        if isinstance(activity.get("content"), dict):
            self._played_in(statement["context"], activity)
        return statement

    def _played_in(self, context: dict[str, Any], activity: dict[str, Any]) -> None:
        """An exercise of the library: the class activity it was played in, and H5P's content type."""
        found = context.setdefault("contextActivities", {})
        found.setdefault("grouping", []).append({"objectType": "Activity",
                                                 "id": f"{self.box_home}/activities/{activity['id']}"})
        library = activity["content"].get("library")
        if isinstance(library, str) and library:
            found["category"] = [{"objectType": "Activity", "id": H5P_LIBRARIES + library,
                                  "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}]

    def _object(self, event: str, activity: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
        if event == "attended" or not activity.get("id"):
            sid = session.get("id")
            if not sid:
                raise StatementError("payload without activity or session id")
            return {"objectType": "Activity", "id": f"{self.box_home}/sessions/{sid}",
                    "definition": {"type": ACTIVITY_TYPES["session"],
                                   "name": {"fr-FR": str(session.get("title") or sid)[:200]}}}
        content = activity.get("content")
        if isinstance(content, dict) and content.get("id"):  # an exercise of the library: the object is it
            return {"objectType": "Activity", "id": f"{self.box_home}/library/{content['id']}",
                    "definition": {"type": ACTIVITY_TYPES["h5p"],
                                   "name": {"fr-FR": str(content.get("title") or content["id"])[:200]}}}
        definition: dict[str, Any] = {
            "type": ACTIVITY_TYPES.get(str(activity.get("type")), DEFAULT_TYPE),
            "name": {"fr-FR": str(activity.get("title") or activity["id"])[:200]},
        }
        if activity.get("question"):
            definition["description"] = {"fr-FR": str(activity["question"])[:1000]}
        definition.update(_interaction(activity))
        return {"objectType": "Activity", "id": f"{self.box_home}/activities/{activity['id']}",
                "definition": definition}

    def _context(self, session: dict[str, Any], seq: int, when: Dated) -> dict[str, Any]:
        extensions: dict[str, Any] = {self.ext + "box": self.box_id, self.ext + "seq": seq}
        if session.get("code"):
            extensions[self.ext + "session-code"] = str(session["code"])
        if not when.anchored:
            extensions[self.ext + "clock"] = "unverified"
        elif when.before_known:
            extensions[self.ext + "clock"] = "corrected"
        context: dict[str, Any] = {"platform": "classbox", "language": "fr-FR", "extensions": extensions}
        if session.get("id"):
            parent = {"objectType": "Activity", "id": f"{self.box_home}/sessions/{session['id']}",
                      "definition": {"type": ACTIVITY_TYPES["session"]}}
            if session.get("title"):
                parent["definition"]["name"] = {"fr-FR": str(session["title"])[:200]}
            context["contextActivities"] = {"parent": [parent]}
        if self.school_uai:
            context.setdefault("contextActivities", {})["grouping"] = [
                {"objectType": "Activity", "id": f"{self.box_home}/schools/{self.school_uai}"}]
        if session.get("teacher"):
            context["instructor"] = {"objectType": "Agent",
                                     "account": {"homePage": self.box_home, "name": str(session["teacher"])}}
        return context

    def _result(self, event: str, raw: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if isinstance(raw, dict):
            if raw.get("response") is not None:
                result["response"] = str(raw["response"])[:5000]
            if isinstance(raw.get("success"), bool):
                result["success"] = raw["success"]
            score = raw.get("score")
            if isinstance(score, dict) and _number(score.get("raw")) and _number(score.get("max")):
                if not 0 <= score["raw"] <= score["max"]:
                    raise StatementError("score out of range")
                result["score"] = {"raw": score["raw"], "min": 0, "max": score["max"]}
                if score["max"]:
                    result["score"]["scaled"] = round(score["raw"] / score["max"], 4)
        if event in ("handed_in", "completed"):
            result["completion"] = True
        return result


def _interaction(activity: dict[str, Any]) -> dict[str, Any]:
    """A question's interactionType, choices (id + the teacher's text) and correctResponsesPattern."""
    # records queued before `interaction` existed carry the classroom's quiz kind instead
    interaction = activity.get("interaction") or records.INTERACTIONS.get(str(activity.get("kind")))
    if interaction not in records.INTERACTIONS.values():
        return {}
    found: dict[str, Any] = {"interactionType": interaction}
    if interaction == "choice":
        choices = activity.get("choices")
        if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
            raise StatementError("choice question without choices {id, text}")
        found["choices"] = [{"id": str(c.get("id")), "description": {"fr-FR": str(c.get("text"))[:200]}}
                            for c in choices]
    correct = activity.get("correct")
    if isinstance(correct, list) and correct and all(isinstance(p, str) for p in correct):
        found["correctResponsesPattern"] = correct
    return found


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_ours(stored: dict[str, Any], sent: dict[str, Any], ext: str) -> bool:
    """Whether a statement found in the LRS under our id is the one this box sent."""
    if not isinstance(stored, dict):
        return False
    box = (stored.get("context") or {}).get("extensions", {}).get(ext + "box")
    return (box == (sent.get("context") or {}).get("extensions", {}).get(ext + "box")
            and stored.get("actor") == sent.get("actor")
            and (stored.get("verb") or {}).get("id") == sent["verb"]["id"]
            and (stored.get("object") or {}).get("id") == sent["object"]["id"])
