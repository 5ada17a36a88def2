"""xAPI connector: batched POST /statements to an LRS; statement id = the idempotency key."""

from __future__ import annotations

import gzip
import json
from typing import Any, Callable

import httpx

from classbox.sync.backoff import Permanent, Transient
from classbox.sync.clock import Dated
from classbox.sync.connectors import Outcome
from classbox.sync.link import Link, check_status
from classbox.sync.outbox import OutboxRecord
from classbox.sync.statements import StatementBuilder, StatementError, is_ours

XAPI_VERSION = "1.0.3"
# Answers about one statement of a batch: the batch is bisected so only the culprit dies.
STATEMENT_ERRORS = (400, 413, 422)
# zlib level for request bodies, per 500 statements (x86_64): 1 -> 51 B/statement in 2 ms,
# 6 -> 42 B in 5 ms, 9 -> 41 B in 10 ms. 6: most of the bytes saved, for little CPU.
GZIP_LEVEL = 6


class XapiConnector:
    """Sends statements to one LRS, in seq order, exactly once."""

    kind = "xapi"

    def __init__(self, link: Link, endpoint: str, username: str, password: str,
                 builder: StatementBuilder, date: Callable[[OutboxRecord], Dated],
                 target: str = "lrs", batch_size: int = 50, use_gzip: bool = True):
        self.link = link
        self.url = endpoint.rstrip("/") + "/statements"
        self.probe_url = endpoint.rstrip("/") + "/about"
        self.auth = httpx.BasicAuth(username, password) if username else None
        self.builder = builder
        self.date = date
        self.target = target
        self.batch_size = max(1, batch_size)
        self.gzip = "unknown" if use_gzip else "no"
        self.headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}

    def deliver(self, records: list[OutboxRecord]) -> list[Outcome]:
        """Build each statement (a bad payload goes dead alone), then POST them in batches."""
        outcomes: list[Outcome] = []
        pending: list[tuple[int, dict[str, Any]]] = []
        built: dict[int, Outcome] = {}
        for index, record in enumerate(records):
            try:
                statement = self.builder.build(record.payload, record.idempotency_key, record.seq,
                                               self.date(record))
                pending.append((index, statement))
            except (StatementError, KeyError, TypeError, ValueError) as err:
                built[index] = Outcome.dead(f"bad payload: {err}")
        results = dict(built)
        for index, outcome in zip([i for i, _ in pending], self._post([s for _, s in pending])):
            results[index] = outcome
        for index in range(len(records)):
            if index not in results:
                break
            outcomes.append(results[index])
            if results[index].status == "retry":
                break
        return outcomes

    def _send(self, statements: list[dict[str, Any]]) -> httpx.Response:
        body = json.dumps(statements, separators=(",", ":"), ensure_ascii=False).encode()
        if self.gzip != "no":
            headers = dict(self.headers, **{"Content-Encoding": "gzip"})
            response = self.link.request("POST", self.url, gzip.compress(body, GZIP_LEVEL), headers,
                                         self.auth)
            if self.gzip == "yes" or response.status_code < 300 or response.status_code == 409:
                self.gzip = "yes"
                return response
            plain = self.link.request("POST", self.url, body, self.headers, self.auth)
            if plain.status_code < 500 and plain.status_code != response.status_code:
                self.gzip = "no"  # the peer reads plain bodies but not gzip ones
            return plain
        return self.link.request("POST", self.url, body, self.headers, self.auth)

    def _post(self, statements: list[dict[str, Any]], hints: bool = True) -> list[Outcome]:
        """POST a batch; on 400/413/422 split it so only the bad statement goes dead; check 409s.

        The split goes around the statement the LRS's error names (`hints`), else in halves.
        Any other 4xx (401, 403, 404...: the endpoint or the credentials) is permanent for every
        statement of the batch: they go dead together, for `classbox sync retry-dead` once fixed.
        """
        outcomes: list[Outcome] = []
        while statements:
            status = 0
            try:
                response = self._send(statements)
                status = response.status_code
                if status == 409:
                    return outcomes + self._resolve_conflict(statements)
                if status in STATEMENT_ERRORS and len(statements) > 1:
                    if status == 413:  # the LRS (or its proxy) caps the body: smaller batches from now
                        self.batch_size = min(self.batch_size, len(statements) // 2)
                    culprit = culprit_index(response, len(statements)) if hints else None
                    if culprit is None:
                        half = len(statements) // 2
                        return outcomes + self._parts([statements[:half], statements[half:]])
                    head = self._parts([statements[:culprit], statements[culprit:culprit + 1]])
                    outcomes += head
                    if len(head) <= culprit or head[-1].status == "retry":
                        return outcomes
                    statements = statements[culprit + 1:]  # a loop, not a recursion: any length
                    continue
                check_status(response, "POST statements", "sync.xapi")
            except Transient as err:
                return outcomes + [Outcome.retry(str(err), err.retry_after)]
            except Permanent as err:
                return outcomes + [Outcome.dead(str(err)) for _ in statements]
            return outcomes + [Outcome.delivered() for _ in statements]
        return outcomes

    def _parts(self, parts: list[list[dict[str, Any]]]) -> list[Outcome]:
        """POST parts of a refused batch in order, bisecting (no hints: bounded depth); stop at
        the first part left waiting for a retry."""
        outcomes: list[Outcome] = []
        for part in parts:
            if not part:
                continue
            done = self._post(part, hints=False)
            outcomes.extend(done)
            if len(done) < len(part) or done[-1].status == "retry":
                break
        return outcomes

    def _resolve_conflict(self, statements: list[dict[str, Any]]) -> list[Outcome]:
        """A 409: ids the LRS already holds are delivered when ours, dead otherwise; resend the rest."""
        outcomes: list[Outcome] = []
        for position, statement in enumerate(statements):
            try:
                stored = self._fetch(statement["id"])
            except Transient as err:
                return outcomes + [Outcome.retry(str(err), err.retry_after)]
            if stored is None:
                rest = self._post([statement])
                outcomes.extend(rest)
                if rest and rest[-1].status == "retry":
                    return outcomes
            elif is_ours(stored, statement, self.builder.ext):
                outcomes.append(Outcome.delivered())
            else:
                outcomes.append(Outcome.dead(f"statement id {statement['id']} already used by "
                                             "another statement in the LRS"))
        return outcomes

    def _fetch(self, statement_id: str) -> dict[str, Any] | None:
        """The statement the LRS holds under this id, or None."""
        response = self.link.request("GET", f"{self.url}?statementId={statement_id}",
                                     headers={"X-Experience-API-Version": XAPI_VERSION}, auth=self.auth)
        if response.status_code == 404:
            return None
        try:
            check_status(response, "GET statement")
        except Permanent as err:
            raise Transient(str(err)) from None
        try:
            data = response.json()
        except ValueError:
            raise Transient("GET statement: answer is not JSON") from None
        if isinstance(data, dict) and isinstance(data.get("statements"), list):
            data = next((s for s in data["statements"] if isinstance(s, dict)
                         and s.get("id") == statement_id), None)
        return data if isinstance(data, dict) and data.get("id") == statement_id else None


def culprit_index(response: httpx.Response, size: int) -> int | None:
    """The index of the refused statement when the LRS's error says it (FastAPI/pydantic errors,
    as ralph's: detail[].loc = ["body", index, ...]); None otherwise. Only a hint: each part
    is still POSTed and judged on its own answer."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    for error in detail if isinstance(detail, list) else []:
        loc = error.get("loc") if isinstance(error, dict) else None
        if (isinstance(loc, list) and len(loc) > 1 and loc[0] == "body" and type(loc[1]) is int
                and 0 <= loc[1] < size):
            return loc[1]
    return None
