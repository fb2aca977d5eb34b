"""debug_conversions: each broken link of the conversion chain gets its verdict, on a sandbox of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from keitaro_mcp.sandbox import Sandbox
from keitaro_mcp.server import build_server
from tests.conftest import TEST_API_KEY, TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings
from tests.reports.conftest import click_without_conversion, postback

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    """Postbacks change state: this module's own tracker."""
    sandbox = Sandbox(seed=11, clicks=3_000, api_key=TEST_API_KEY, postback_key=TEST_POSTBACK_KEY)
    yield sandbox
    sandbox.close()


@pytest.fixture
async def dk(box: Sandbox) -> AsyncIterator[Kt]:
    wire = RecordingTransport(httpx.ASGITransport(app=box.app))
    server = build_server(make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        yield Kt(client, wire)


async def test_unknown_sub_id_has_no_clicks(dk: Kt) -> None:
    env = await dk.ok("debug_conversions", {"sub_id": "nosuchclick42"})
    assert env["data"]["verdict"] == "no_clicks"
    assert (env["resource"], env["operation"]) == ("conversion", "debug")
    sent = [(s.method, s.path) for s in dk.wire.sent]
    # all_time by default (a click can be old): the tracker's first click day is read last, for meta.range.
    assert sent == [("POST", "/clicks/log"), ("POST", "/conversions/log"), ("GET", "/logs/postbacks"),
                    ("GET", "/logs/postbacks"), ("GET", "/logs/sent_postbacks"), ("POST", "/clicks/log")]  # fmt: skip
    assert dk.wire.sent[-1].body["columns"] == ["datetime"] and env["meta"]["range"]["from"]
    click_body = dk.wire.sent[0].body
    assert click_body["filters"] == [{"name": "sub_id", "operator": "EQUALS", "expression": "nosuchclick42"}]
    assert click_body["range"] == {"interval": "all_time", "timezone": "UTC"}
    assert dk.wire.sent[2].query == {"limit": "200"}  # recent lines, to group each postback with its outcome
    assert dk.wire.sent[3].query == {"limit": "200", "query": "nosuchclick42"}


async def test_click_without_any_postback(dk: Kt, box: Sandbox) -> None:
    click = click_without_conversion(box, with_s2s=True)
    env = await dk.ok("debug_conversions", {"sub_id": click["sub_id"]})
    assert env["data"]["verdict"] == "no_postback_received"
    assert env["data"]["clicks"]["rows"][0][0] == click["sub_id"]
    # Names beside ids: the campaign, traffic source and offer a person recognises.
    row = dict(zip(env["data"]["clicks"]["columns"], env["data"]["clicks"]["rows"][0], strict=True))
    assert (
        row["campaign_id"] == click["campaign_id"] and row["campaign"] and row["ts"] and isinstance(row["offer"], str)
    )


async def test_postback_with_an_unknown_status_is_not_matched(dk: Kt, box: Sandbox) -> None:
    click = click_without_conversion(box, with_s2s=True)
    await postback(box, subid=click["sub_id"], status="ping")
    env = await dk.ok("debug_conversions", {"sub_id": click["sub_id"]})
    assert env["data"]["verdict"] == "postback_not_matched"
    assert "Unknown status" in env["data"]["explanation"]
    assert any(click["sub_id"] in line for line in env["data"]["received_postbacks"])
    assert any("/***/postback?" in line for line in env["data"]["received_postbacks"])


async def test_conversion_sent_to_the_source_is_ok(dk: Kt, box: Sandbox) -> None:
    click = click_without_conversion(box, with_s2s=True)
    await postback(box, subid=click["sub_id"], status="sale", payout="12.5")
    env = await dk.ok("debug_conversions", {"sub_id": click["sub_id"]})
    data = env["data"]
    assert data["verdict"] == "ok", data
    assert data["conversions"]["rows"][0][:4] == [click["sub_id"], data["conversions"]["rows"][0][1], "sale", 12.5]
    assert data["sent_postbacks"] and data["s2s_postbacks"]


async def test_conversion_not_in_the_sent_statuses(dk: Kt, box: Sandbox) -> None:
    # The seeded S2S postbacks fire for lead and sale; a rejected conversion is recorded but not sent.
    click = click_without_conversion(box, with_s2s=True)
    await postback(box, subid=click["sub_id"], status="rejected")
    env = await dk.ok("debug_conversions", {"sub_id": click["sub_id"]})
    data = env["data"]
    assert data["s2s_postbacks"] and all("rejected" not in u for u in data["s2s_postbacks"]), data
    assert data["sent_postbacks"] == [] and data["verdict"] == "not_sent_to_source", data


async def test_conversion_without_s2s_postback(dk: Kt, box: Sandbox) -> None:
    click = click_without_conversion(box, with_s2s=False)
    await postback(box, subid=click["sub_id"], status="lead")
    env = await dk.ok("debug_conversions", {"sub_id": click["sub_id"]})
    assert env["data"]["verdict"] == "ok_no_s2s", env["data"]


async def test_unknown_subid_in_the_log_is_reported_for_a_campaign(dk: Kt, box: Sandbox) -> None:
    click = click_without_conversion(box, with_s2s=True)
    await postback(box, subid="{subacc4}", status="lead")
    env = await dk.ok("debug_conversions", {"campaign_id": click["campaign_id"], "period": "all_time"})
    assert any("{subacc4}" in line for line in env["data"]["unmatched_postbacks"])
    body = dk.wire.sent[1].body  # after the first click day, read first for an all_time period
    assert body["filters"] == [{"name": "campaign_id", "operator": "EQUALS", "expression": click["campaign_id"]}]
    assert env["meta"]["counts"]["clicks"] > 0


@pytest.mark.parametrize("args", [{}, {"sub_id": "a", "campaign_id": 1}, {"campaign_id": 0}, {"sub_id": ""}])
async def test_bad_input(dk: Kt, args: dict[str, Any]) -> None:
    await dk.refused("debug_conversions", args)
