"""The request path at the HTTP boundary (transport, classification, executor): masking, status kinds, non-JSON
answers, retries, timeouts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from keitaro_mcp.envelope import Envelope
from keitaro_mcp.executor import Executor
from keitaro_mcp.operations.campaigns import OPERATIONS as CAMPAIGNS
from keitaro_mcp.registry import Operation
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Transport
from tests.conftest import TEST_API_KEY, make_settings

pytestmark = pytest.mark.anyio

OPS: dict[str, Operation[Any]] = {op.name: op for op in CAMPAIGNS}
Handler = Callable[[httpx.Request], httpx.Response]


class Calls:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def run(
    handler: Handler, tool: str = "get_campaign", args: dict[str, object] | None = None, **env: str
) -> tuple[Envelope, Calls]:
    calls = Calls(handler)
    settings = make_settings(**env)
    executor = Executor(settings, Transport.from_settings(settings, httpx.MockTransport(calls), sleep=calls.sleep))
    op: Operation[Any] = OPS[tool]
    try:
        envelope: Envelope = await executor.call(
            op,
            op.params.model_validate({"campaign_id": 7} if args is None else args),
            tracker=Tracker.from_settings(settings),
        )
    finally:
        await executor.aclose()
    return envelope, calls


async def test_success_envelope_masks_the_key_and_sends_it_as_header() -> None:
    envelope, calls = await run(lambda r: httpx.Response(200, json={"id": 7, "token": "t"}))
    assert envelope == {
        "request": {
            "url": "http://tracker.test/admin_api/v1/campaigns/7",
            "method": "GET",
            "headers": {"Api-Key": "***", "Accept": "application/json"},
        },
        "resource": "campaign",
        "operation": "get",
        "success": True,
        "data": {"id": 7, "token": "t"},
    }
    (request,) = calls.requests
    assert request.headers["Api-Key"] == TEST_API_KEY
    assert TEST_API_KEY not in str(request.url)
    assert request.headers["User-Agent"].startswith("keitaro-mcp/")


async def test_list_gets_count() -> None:
    """A list answer counts its items, whole or as {columns, rows}."""
    campaigns = [{"id": 1, "state": "disabled"}, {"id": 2, "state": "active"}]
    full, _ = await run(lambda r: httpx.Response(200, json=campaigns), "list_campaigns", {"full": True})
    assert full["count"] == 2 and full["data"] == campaigns
    table, _ = await run(lambda r: httpx.Response(200, json=campaigns), "list_campaigns", {})
    assert table["count"] == 2 and [row[:3] for row in table["data"]["rows"]] == [
        [1, None, "paused"],
        [2, None, "active"],
    ]


async def test_secret_echoed_by_the_tracker_is_masked() -> None:
    envelope, _ = await run(lambda r: httpx.Response(401, json={"error": f"bad key {TEST_API_KEY}"}))
    assert TEST_API_KEY not in json.dumps(envelope)
    assert envelope["error"]["kind"] == "auth" and "***" in envelope["error"]["message"]


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"error": "bad"}, "validation"),
        (401, {"error": "Unauthorized"}, "auth"),
        (402, {"error": "edition"}, "forbidden"),
        (403, {"error": "You have no permission", "stacktrace": None}, "forbidden"),
        (404, "Traffic\\Model\\Campaign #7 not found", "not_found"),
        (406, {"name": ["Name is required"]}, "validation"),
        (422, {"alias": ["Alias has already used"]}, "validation"),
        (429, {"error": "slow down"}, "rate_limited"),
        (500, {"error": "boom"}, "server"),
        (302, "", "redirect"),
        (418, "teapot", "http"),
    ],
)
async def test_status_to_kind(status: int, body: object, kind: str) -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        headers = {"Location": "https://elsewhere.example/"} if status == 302 else {}
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    envelope, calls = await run(handler)
    error = envelope["error"]
    assert envelope["success"] is False and envelope["data"] is None
    assert error["kind"] == kind and error["status"] == status and error["hint"]
    assert error["url"] == "http://tracker.test/admin_api/v1/campaigns/7"
    if status == 422:
        assert error["responseData"] == {"alias": ["Alias has already used"]}
        assert "alias: Alias has already used" in error["message"]
    if status == 404:
        assert "Campaign #7 not found" in error["message"]
    if status == 302:
        assert len(calls.requests) == 1, "redirects are not followed"


async def test_html_on_2xx_is_an_error_not_data() -> None:
    envelope, _ = await run(lambda r: httpx.Response(200, html="<html><body>Keitaro</body></html>"))
    assert envelope["success"] is False and envelope["error"]["kind"] == "not_json"


async def test_cloudflare_challenge_is_its_own_kind() -> None:
    page = "<html><title>Just a moment...</title></html>"
    envelope, _ = await run(lambda r: httpx.Response(403, html=page, headers={"server": "cloudflare", "cf-ray": "1"}))
    assert envelope["error"]["kind"] == "cloudflare" and "Cloudflare" in envelope["error"]["hint"]


async def test_malformed_json_on_2xx_is_not_json() -> None:
    envelope, _ = await run(
        lambda r: httpx.Response(200, text='{"id": 7,', headers={"content-type": "application/json"})
    )
    assert envelope["error"]["kind"] == "not_json"


async def test_empty_2xx_body_is_success_with_null_data() -> None:
    envelope, _ = await run(lambda r: httpx.Response(200))
    assert envelope["success"] is True and envelope["data"] is None


def flaky(statuses: list[int], final: httpx.Response, headers: dict[str, str] | None = None) -> Handler:
    queue = list(statuses)

    def handler(r: httpx.Request) -> httpx.Response:
        if queue:
            return httpx.Response(queue.pop(0), json={"error": "busy"}, headers=headers or {})
        return final

    return handler


async def test_idempotent_read_is_retried_on_503_then_succeeds() -> None:
    envelope, calls = await run(flaky([503, 502], httpx.Response(200, json={"id": 7})))
    assert envelope["success"] is True
    assert len(calls.requests) == 3 and len(calls.sleeps) == 2


async def test_retry_after_is_honoured() -> None:
    envelope, calls = await run(flaky([429], httpx.Response(200, json={"id": 7}), {"Retry-After": "2"}))
    assert envelope["success"] is True
    assert calls.sleeps and 2.0 <= calls.sleeps[0] <= 2.5


async def test_long_retry_after_is_reported_not_waited() -> None:
    envelope, calls = await run(flaky([429], httpx.Response(200, json={"id": 7}), {"Retry-After": "3600"}))
    assert envelope["error"]["kind"] == "rate_limited" and "3600" in envelope["error"]["hint"]
    assert len(calls.requests) == 1 and not calls.sleeps


async def test_create_hit_by_503_is_sent_once() -> None:
    envelope, calls = await run(
        flaky([503], httpx.Response(200, json={"id": 9})), "create_campaign", {"name": "New", "alias": "new1"}
    )
    assert envelope["success"] is False and envelope["error"]["kind"] == "server"
    assert len(calls.requests) == 1 and not calls.sleeps
    assert json.loads(calls.requests[0].content) == {"name": "New", "alias": "new1"}


async def test_connection_error_retried_for_reads_only() -> None:
    def down(r: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    read, read_calls = await run(down)
    assert read["error"]["kind"] == "connection" and len(read_calls.requests) == 3
    write, write_calls = await run(down, "clone_campaign", {"campaign_id": 7})
    assert write["error"]["kind"] == "connection" and len(write_calls.requests) == 1


async def test_read_timeout_is_a_timeout_and_not_retried() -> None:
    def slow(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    envelope, calls = await run(slow, KEITARO_TIMEOUT="1.5")
    assert envelope["error"]["kind"] == "timeout" and "1.5 s" in envelope["error"]["message"]
    assert len(calls.requests) == 1


async def test_debug_adds_stack_without_secrets() -> None:
    def down(r: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {TEST_API_KEY}")

    envelope, _ = await run(down, KEITARO_DEBUG="true")
    assert "stack" in envelope["error"] and "ConnectError" in envelope["error"]["stack"]
    assert TEST_API_KEY not in json.dumps(envelope)
    plain, _ = await run(down)
    assert "stack" not in plain["error"]


async def test_path_ids_are_escaped_and_only_given_fields_are_sent() -> None:
    envelope, calls = await run(
        lambda r: httpx.Response(200, json={"id": 7}), "update_campaign", {"campaign_id": "7", "name": "Renamed"}
    )
    assert envelope["success"]
    before, request = calls.requests  # the receipt's read of the campaign, then the write
    assert before.method == "GET" and before.url.path == "/admin_api/v1/campaigns/7"
    assert request.method == "PUT" and request.url.path == "/admin_api/v1/campaigns/7"
    assert json.loads(request.content) == {"name": "Renamed"}


async def test_config_problem_sends_nothing() -> None:
    envelope, calls = await run(lambda r: httpx.Response(200), KEITARO_API_KEY="")
    assert envelope["error"]["kind"] == "config" and "KEITARO_API_KEY" in envelope["error"]["message"]
    assert not calls.requests


@pytest.mark.parametrize("secret", ["plain-key-123", 'quote"and\\slash-key', "ключ-секрет-42"])
def test_redactor_masks_keys_and_values_at_any_depth(secret: str) -> None:
    """The fast path (one JSON dump) and the walk it falls back to for secrets JSON would escape agree."""
    from keitaro_mcp.envelope import Redactor

    redact = Redactor((secret,))
    value = {"a": [f"x {secret} y", {secret: 1}], "b": 2, "clean": "nothing here"}
    assert redact(value) == {"a": ["x *** y", {"***": 1}], "b": 2, "clean": "nothing here"}
    assert redact({"clean": "nothing here"}) == {"clean": "nothing here"}


async def test_each_call_goes_to_its_own_tracker_with_its_own_key() -> None:
    """One pool per tracker base URL; the key travels per request, so one pool serves several keys."""
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 7, "echo": request.headers["Api-Key"]})

    settings = make_settings()
    transport = Transport.from_settings(settings, httpx.MockTransport(echo))
    executor = Executor(settings, transport)
    default = Tracker.from_settings(settings)
    other_key = Tracker(base_url=default.base_url, api_key="second-user-key-8e1d")
    other_tracker = Tracker(base_url="http://tracker-b.test/admin_api/v1", api_key="tracker-b-key-40aa")
    op: Operation[Any] = OPS["get_campaign"]
    args = op.params.model_validate({"campaign_id": 7})
    try:
        envelopes = [await executor.call(op, args, tracker=t) for t in (default, other_key, other_tracker)]
    finally:
        await executor.aclose()
    assert [r.headers["Api-Key"] for r in seen] == [TEST_API_KEY, "second-user-key-8e1d", "tracker-b-key-40aa"]
    assert [r.url.host for r in seen] == ["tracker.test", "tracker.test", "tracker-b.test"]
    assert [e["request"]["url"] for e in envelopes] == [
        "http://tracker.test/admin_api/v1/campaigns/7",
        "http://tracker.test/admin_api/v1/campaigns/7",
        "http://tracker-b.test/admin_api/v1/campaigns/7",
    ]
    # Every key the tracker echoed is masked, including those the process settings never named.
    assert [e["data"]["echo"] for e in envelopes] == ["***", "***", "***"]
    assert transport.pools == {}  # closed


async def test_pools_hold_no_key_and_are_shared_per_base_url() -> None:
    settings = make_settings()
    transport = Transport.from_settings(settings, httpx.MockTransport(lambda r: httpx.Response(200)))
    a = Tracker(base_url="http://tracker.test/admin_api/v1", api_key="key-one-12345")
    b = Tracker(base_url="http://tracker.test/admin_api/v1", api_key="key-two-67890")
    c = Tracker(base_url="http://other.test/admin_api/v1", api_key="key-one-12345")
    try:
        assert transport.pool(a) is transport.pool(b) and transport.pool(a) is not transport.pool(c)
        assert all("api-key" not in {k.lower() for k in http.headers} for http in transport.pools.values())
    finally:
        await transport.aclose()


def test_the_tracker_from_settings_is_todays_single_tracker() -> None:
    settings = make_settings(KEITARO_POSTBACK_KEY="pb-key-for-tracker", KEITARO_TIMEZONE="Europe/Berlin")
    tracker = Tracker.from_settings(settings)
    assert tracker.base_url == settings.base_url == "http://tracker.test/admin_api/v1"
    assert (tracker.api_key, tracker.postback_key, tracker.timezone) == (
        settings.api_key,
        settings.postback_key,
        settings.timezone,
    )
    assert tracker.root == "http://tracker.test" and tracker.problem is None
    assert TEST_API_KEY not in repr(tracker) and "pb-key-for-tracker" not in repr(tracker)
    broken = Tracker.from_settings(make_settings(KEITARO_API_KEY=""))
    assert broken.problem is not None and "KEITARO_API_KEY" in broken.problem
