"""Composed tools never guess: when one of their reads fails, the result names that read and why, and draws no
verdict (and writes nothing) from the missing data.

A transport between the server and the sandbox fails the chosen requests (403, 500 or a timeout); everything else
reaches the sandbox. Each case first shows what the tool says with every read answering, so the failure is what
changes the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.operations import exports
from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings
from tests.reports.conftest import click_without_conversion, postback

pytestmark = pytest.mark.anyio


@dataclass
class Failing(httpx.AsyncBaseTransport):
    """Fails the requests matching `route` ("METHOD /path", fnmatch pattern) after letting `after` of them through."""

    inner: httpx.AsyncBaseTransport
    route: str = ""
    failure: str = "403"
    after: int = 0
    matched: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, _, pattern = self.route.partition(" ")
        path = request.url.path.removeprefix("/admin_api/v1")
        if self.route and request.method == method and fnmatch(path, pattern):
            self.matched += 1
            if self.matched > self.after:
                if self.failure == "timeout":
                    raise httpx.ReadTimeout("timed out", request=request)
                status = int(self.failure)
                return httpx.Response(status, json={"error": "Forbidden" if status == 403 else "Internal error"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Rig:
    kt: Kt
    faults: Failing
    box: Sandbox

    def fail(self, route: str, failure: str = "403", *, after: int = 0) -> None:
        self.faults.route, self.faults.failure, self.faults.after, self.faults.matched = route, failure, after, 0
        self.kt.wire.sent.clear()

    def sent(self, method: str, pattern: str) -> list[Any]:
        return [s for s in self.kt.wire.sent if s.method == method and fnmatch(s.path, pattern)]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    """Postbacks change state: this module's own tracker."""
    sandbox = Sandbox(seed=13, clicks=3_000, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield sandbox
    sandbox.close()


@pytest.fixture
async def rig(box: Sandbox, tmp_path: Path) -> AsyncIterator[Rig]:
    faults = Failing(httpx.ASGITransport(app=box.app))
    wire = RecordingTransport(faults)
    settings = make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY, KEITARO_EXPORT_DIR=str(tmp_path))
    async with Client(build_server(settings, transport=wire), raise_exceptions=True) as client:
        yield Rig(Kt(client, wire), faults, box)


def no_verdict(env: dict[str, Any], *names: str) -> dict[str, Any]:
    """A debug_conversions answer that gives no verdict and names each failed read."""
    assert env["success"], env.get("error")
    data: dict[str, Any] = env["data"]
    assert data["verdict"] is None, data
    assert data["explanation"].startswith("No verdict: could not read "), data["explanation"]
    for name in names:
        assert any(name in line for line in data["unread"]), data["unread"]
        assert name in data["explanation"]
    return data


# -- debug_conversions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "says"), [("403", "403 Forbidden"), ("500", "500 Internal Server Error"), ("timeout", "no answer")]
)
async def test_unread_postback_logs_are_not_no_postback_received(rig: Rig, failure: str, says: str) -> None:
    click = click_without_conversion(rig.box, with_s2s=True)
    args = {"sub_id": click["sub_id"]}
    assert (await rig.kt.ok("debug_conversions", args))["data"]["verdict"] == "no_postback_received"
    rig.fail("GET /logs/postbacks", failure)
    data = no_verdict(await rig.kt.ok("debug_conversions", args), "the received postbacks log")
    assert says in data["explanation"]
    assert data["received_postbacks"] is None and data["clicks"]["rows"][0][0] == click["sub_id"]


async def test_a_postback_seen_in_one_log_is_known_when_the_other_fails(rig: Rig) -> None:
    # The subid search fails; the recent log still shows the refused postback: the verdict rests on what was read.
    click = click_without_conversion(rig.box, with_s2s=True)
    await postback(rig.box, subid=click["sub_id"], status="ping")
    rig.fail("GET /logs/postbacks", "403", after=1)
    env = await rig.kt.ok("debug_conversions", {"sub_id": click["sub_id"]})
    assert env["data"]["verdict"] == "postback_not_matched", env["data"]
    assert any("received postbacks log (search by subid): Keitaro answered 403" in u for u in env["data"]["unread"])


async def test_unread_campaign_is_not_no_s2s(rig: Rig) -> None:
    # Recorded as rejected, a status the seeded S2S postbacks do not send: the answer turns on the S2S settings.
    click = click_without_conversion(rig.box, with_s2s=True)
    await postback(rig.box, subid=click["sub_id"], status="rejected")
    args = {"sub_id": click["sub_id"]}
    assert (await rig.kt.ok("debug_conversions", args))["data"]["verdict"] == "not_sent_to_source"
    rig.fail("GET /campaigns/*", "500")
    data = no_verdict(await rig.kt.ok("debug_conversions", args), f"campaign {click['campaign_id']}")
    assert data["s2s_postbacks"] is None and data["sent_postbacks"] == []
    assert rig.sent("GET", "/campaigns/*")  # the read was made, and failed


async def test_unread_sent_log_is_not_a_verdict(rig: Rig) -> None:
    click = click_without_conversion(rig.box, with_s2s=True)
    await postback(rig.box, subid=click["sub_id"], status="rejected")
    rig.fail("GET /logs/sent_postbacks", "timeout")
    data = no_verdict(await rig.kt.ok("debug_conversions", {"sub_id": click["sub_id"]}), "the sent postbacks log")
    assert "no answer within" in data["explanation"]
    assert data["sent_postbacks"] is None and data["s2s_postbacks"]


async def test_a_failed_read_the_verdict_does_not_need_is_still_named(rig: Rig) -> None:
    rig.fail("GET /logs/sent_postbacks", "403")
    env = await rig.kt.ok("debug_conversions", {"sub_id": "nosuchclick42"})
    assert env["data"]["verdict"] == "no_clicks"
    assert env["data"]["unread"] == ["could not read the sent postbacks log: Keitaro answered 403 Forbidden: Forbidden"]


@pytest.mark.parametrize(("route", "what"), [("POST /clicks/log", "the click log"),
                                             ("POST /conversions/log", "the conversion log")])  # fmt: skip
async def test_unread_click_or_conversion_log_is_an_error(rig: Rig, route: str, what: str) -> None:
    rig.fail(route, "403")
    env = await rig.kt.call("debug_conversions", {"sub_id": "nosuchclick42"})
    assert env["error"]["kind"] == "forbidden" and env["data"] is None
    assert env["error"]["message"] == f"could not read {what}: Keitaro answered 403 Forbidden: Forbidden"


# -- compare_periods, exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("after", "which"), [(0, "(the period)"), (1, "(the period compared against)")])
async def test_compare_periods_names_the_report_that_failed(rig: Rig, after: int, which: str) -> None:
    args = {"period": "2026-02-02..2026-02-08", "dimensions": ["country_code"], "measures": ["clicks"]}
    rig.fail("POST /report/build", "500", after=after)
    env = await rig.kt.call("compare_periods", args)
    assert env["error"]["kind"] == "server" and env["data"] is None
    dates = "2026-02-02..2026-02-08" if after == 0 else "2026-01-26..2026-02-01"
    assert env["error"]["message"].startswith(f"could not read the report for {dates} {which}: Keitaro answered 500")


async def test_export_names_the_page_that_failed_and_leaves_no_file(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CLICK_PAGE", 1_000)
    rig.fail("POST /clicks/log", "500", after=2)
    env = await rig.kt.call("export_clicks", {"period": "all_time", "columns": ["click_id", "sub_id"]})
    assert env["error"]["kind"] == "server"
    message = env["error"]["message"]
    assert message.startswith("could not read the click log after 2000 rows: Keitaro answered 500"), message
    assert message.endswith("; no file was written")
    assert list(tmp_path.iterdir()) == []


# -- writes that read first, and the check after a postback -----------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "route", "what", "writes"),
    [
        ("update_click", {"sub_id": "x", "status": "lead"}, "POST /clicks/log", "the click log", ("GET", "*/postback")),
        ("update_conversion", {"sub_id": "x", "status": "sale"}, "POST /conversions/log", "the conversion log",
         ("GET", "*/postback")),
        ("update_campaign_postback", {"campaign_id": 1, "postback_id": 1, "url": "https://s.test/p"},
         "GET /campaigns/1", "campaign 1", ("PUT", "/campaigns/*")),
        ("create_campaign_postback", {"campaign_id": 1, "url": "https://s.test/p"}, "GET /campaigns/1", "campaign 1",
         ("PUT", "/campaigns/*")),
    ],
)  # fmt: skip
async def test_a_write_whose_read_failed_changes_nothing(
    rig: Rig, tool: str, arguments: dict[str, Any], route: str, what: str, writes: tuple[str, str]
) -> None:
    rig.fail(route, "403")
    env = await rig.kt.call(tool, arguments)
    assert env["error"]["kind"] == "forbidden"
    assert (
        env["error"]["message"]
        == f"could not read {what}: Keitaro answered 403 Forbidden: Forbidden; nothing was changed"
    )
    assert rig.sent(*writes) == []


async def test_a_postback_whose_check_failed_is_not_called_unrecorded(rig: Rig) -> None:
    rig.fail("POST /conversions/log", "403")
    env = await rig.kt.ok("create_conversion", {"sub_id": "nosuchclick42", "status": "lead"})
    assert env["data"]["changes"] == {}, "whether the conversion changed is unknown: the log could not be read"
    assert env["meta"]["notes"] == [
        "could not read the conversion log: Keitaro answered 403 Forbidden: Forbidden; the postback was sent, check "
        "with list_conversions."
    ]
    assert len(rig.sent("GET", "*/postback")) == 1
