"""The call context: what one tool call knows and how it reaches its tracker.

A `CallContext` carries the operation being run, the `Tracker` the call goes to (base URL, keys, timezone), the
settings, a progress reporter, and the redactor that knows every configured secret. Composed tools read and write
through it (`read`, `post`, `rows`, `send`) and build their error envelopes with `fail`/`invalid`, which name the
operation's resource and operation themselves. `exchange` is the one request path every envelope comes from; while
a `CallRecord` is open (`recording()`), it notes there each request's method, path and status (for the audit log).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from keitaro_mcp.classify import Ok, Problem, classify_failure, classify_response
from keitaro_mcp.envelope import MASK, SECRET_FIELD, Envelope, Redactor, RequestInfo, error_envelope
from keitaro_mcp.errors import ErrorKind
from keitaro_mcp.mistakes import explain
from keitaro_mcp.periods import utc_now
from keitaro_mcp.settings import Settings
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Failure, Transport, flat_query

__all__ = [
    "CallContext",
    "CallRecord",
    "Observed",
    "OperationFacts",
    "ProgressFn",
    "exchange",
    "no_progress",
    "note_tracker",
    "recording",
    "request_info",
    "rows_of",
    "template_url",
    "url_for",
]

ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]
Expect = Literal["json", "bytes"]


async def no_progress(progress: float, total: float | None, message: str | None) -> None:
    return None


@dataclass
class CallRecord:
    """What one tool call did on the wire: the tracker it went to and each request sent (method, path with secrets
    masked, HTTP status or None without an answer)."""

    tracker: Tracker | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


_RECORD: ContextVar[CallRecord | None] = ContextVar("keitaro_mcp_call_record", default=None)


@contextmanager
def recording() -> Iterator[CallRecord]:
    """Open a record for the call running in this context (tasks it starts share it)."""
    record = CallRecord()
    token = _RECORD.set(record)
    try:
        yield record
    finally:
        _RECORD.reset(token)


def note_tracker(tracker: Tracker) -> None:
    """Say which tracker the current call goes to (before anything is sent, so refusals name it too)."""
    record = _RECORD.get()
    if record is not None:
        record.tracker = tracker


class OperationFacts(Protocol):
    """What a call needs to know of its operation (a registry entry or a tool-index card)."""

    @property
    def name(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def api(self) -> str: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def idempotent(self) -> bool: ...


def url_for(tracker: Tracker, path: str, query: dict[str, Any] | None = None) -> str:
    """The Admin API URL of `path` with its query, as the envelope shows it."""
    url = tracker.base_url + path
    if not query:
        return url
    return str(httpx.URL(url).copy_merge_params(flat_query(query)))


def template_url(tracker: Tracker, op: OperationFacts) -> str:
    """The operation's URL with its placeholders unfilled (for envelopes of calls that were not sent)."""
    return (tracker.root if op.api == "tracker" else tracker.base_url) + op.path


def request_info(method: str, url: str | None, redact: Redactor, *, has_body: bool = False) -> RequestInfo:
    """The envelope's `request`: the URL with secrets masked, and the headers sent with the key masked."""
    headers = {"Api-Key": MASK, "Accept": "application/json"}
    if has_body:
        headers["Content-Type"] = "application/json"
    return {"url": _shown_url(redact.text(url)) if url else url, "method": method, "headers": headers}


_LONG_VALUE = 100


def _shown_url(url: str) -> str:
    """The URL as the envelope shows it. Keitaro takes some writes' values in the query string (a file's content,
    the AVScan key): a credential-named parameter is masked, and a long value is cut with its length said."""
    base, mark, query = url.partition("?")
    if not mark:
        return url
    shown = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        if value and SECRET_FIELD.search(name):
            value = MASK
        elif len(value) > _LONG_VALUE:
            value = f"{value[: _LONG_VALUE // 2]}...({len(value)}+characters)"
        shown.append(f"{name}{eq}{value}")
    return f"{base}?{'&'.join(shown)}"


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The rows of a log or report answer (`{rows: [...]}` or a bare list); objects only."""
    rows = data.get("rows") if isinstance(data, dict) else data
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


async def exchange(
    transport: Transport,
    tracker: Tracker,
    redact: Redactor,
    method: str,
    path: str,
    *,
    resource: str,
    operation: str,
    query: dict[str, Any] | None = None,
    body: Any = None,
    retry: bool,
    expect: Expect = "json",
    absolute_url: str | None = None,
    debug: bool = False,
) -> Envelope:
    """Send one request and return its envelope: the answer as data, or the classified error (message masked).

    Only the envelope's messages are masked here; the executor masks the whole result before it leaves.
    """
    url = absolute_url or url_for(tracker, path, query)
    info = request_info(method, url, redact, has_body=body is not None)
    if tracker.problem:
        return error_envelope(info, resource, operation, "config", tracker.problem)
    # Recorded before it is sent (its status once answered): a call cancelled while it waits still shows the request.
    record = _RECORD.get()
    sent: dict[str, Any] = {}
    if record is not None:
        sent_path = httpx.URL(absolute_url).path if absolute_url else path
        sent = {"method": method, "path": redact.text(sent_path), "status": None}
        record.requests.append(sent)
    answer = await transport.send(tracker, method, path, query=query, body=body, retry=retry, absolute_url=absolute_url)
    sent["status"] = None if isinstance(answer, Failure) else answer.status_code
    if isinstance(answer, Failure):
        outcome: Ok | Problem = explain(classify_failure(answer, transport.timeout, debug=debug), tracker, answer)
    else:
        outcome = classify_response(answer, expect)
        if isinstance(outcome, Problem):
            outcome = explain(outcome, tracker)
    if isinstance(outcome, Ok):
        return {"request": info, "resource": resource, "operation": operation, "success": True, "data": outcome.data}
    envelope = error_envelope(
        info, resource, operation, outcome.kind, redact.text(outcome.message), status=outcome.status,
        status_text=outcome.status_text, response_data=outcome.response_data, hint=outcome.hint,
    )  # fmt: skip
    if outcome.stack is not None:
        envelope["error"]["stack"] = redact.text(outcome.stack)
    return envelope


@dataclass
class Observed:
    """What a composed write says it changed: its subject before and after (a conversion, a click), and notes."""

    before: Any
    after: Any
    notes: list[str] = field(default_factory=list)


class CallContext:
    """One tool call: its operation, its tracker, and the ways to reach the tracker.

    For a write, the executor reads the entity it changes first and leaves that answer here (`preread`): a composed
    tool's own GET of the same path is answered from it, not sent twice. Each successful write's answer is kept by
    path (`written`), and a composed tool whose subject is not an Admin API entity says what it changed with
    `observe(before, after)`; the executor turns all this into the call's receipt.
    """

    __slots__ = (
        "observed", "op", "preread", "progress", "redact", "settings", "started", "tracker", "transport", "written"
    )  # fmt: skip

    def __init__(
        self,
        *,
        op: OperationFacts,
        tracker: Tracker,
        settings: Settings,
        transport: Transport,
        redact: Redactor,
        progress: ProgressFn = no_progress,
    ) -> None:
        self.op = op
        self.tracker = tracker
        self.settings = settings
        self.transport = transport
        self.redact = redact
        self.progress = progress
        self.preread: dict[str, Envelope] = {}
        self.written: dict[str, Any] = {}
        self.observed: Observed | None = None
        # Keitaro resolves a preset (`yesterday`) when the request arrives: the dates a result states are those of
        # the call's start, not of its answer's end, which may fall after midnight.
        self.started = utc_now()

    def observe(self, before: Any, after: Any, *notes: str) -> None:
        """Say what this write changed (its subject before and after), for the receipt."""
        self.observed = Observed(before, after, list(notes))

    async def send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        retry: bool,
        expect: Expect = "json",
        absolute_url: str | None = None,
    ) -> Envelope:
        """One request to this call's tracker, retried only when `retry`; the envelope names this operation.

        `absolute_url` sends to a tracker URL outside the Admin API (the postback endpoint), without the Api-Key
        header: the postback key in its path authenticates.
        """
        if method == "GET" and query is None and (early := self.preread.pop(path, None)) is not None:
            return early
        envelope = await exchange(
            self.transport, self.tracker, self.redact, method, path, resource=self.op.resource,
            operation=self.op.operation, query=query, body=body, retry=retry, expect=expect,
            absolute_url=absolute_url, debug=self.settings.debug,
        )  # fmt: skip
        if method != "GET" and absolute_url is None and envelope["success"]:
            self.written[path] = envelope["data"]
        return envelope

    async def read(self, path: str, query: dict[str, Any] | None = None, *, expect: Expect = "json") -> Envelope:
        """GET `path`: a read, retried when the tracker is busy or unreachable."""
        return await self.send("GET", path, query=query, retry=True, expect=expect)

    async def post(self, path: str, body: dict[str, Any]) -> Envelope:
        """POST a query that reads (`/report/build`, `/clicks/log`, `/conversions/log`): retried like any read."""
        return await self.send("POST", path, body=body, retry=True)

    async def rows(self, path: str, body: dict[str, Any]) -> tuple[Envelope, list[dict[str, Any]]]:
        """POST a log query; the envelope beside its rows (empty when the read failed)."""
        envelope = await self.post(path, body)
        return envelope, rows_of(envelope["data"]) if envelope["success"] else []

    def request_info(self, method: str, url: str | None, *, has_body: bool = False) -> RequestInfo:
        return request_info(method, url, self.redact, has_body=has_body)

    def fail(
        self,
        kind: ErrorKind,
        message: str,
        *,
        request: RequestInfo | None = None,
        response_data: Any = None,
        hint: str | None = None,
    ) -> Envelope:
        """An error envelope of this operation; `request` defaults to the operation's URL, unfilled (not sent)."""
        info = request or request_info(self.op.method, template_url(self.tracker, self.op), self.redact)
        envelope = error_envelope(info, self.op.resource, self.op.operation, kind, self.redact.text(message), hint=hint)
        if response_data is not None:
            envelope["error"]["responseData"] = response_data
        return envelope

    def invalid(self, message: str, fields: list[dict[str, str]]) -> Envelope:
        """An `invalid_arguments` envelope naming each field and its problem; nothing was sent."""
        return self.fail("invalid_arguments", message, response_data=fields)
