"""Wire tests for the traffic source tools against the sandbox tracker (and Keitaro's empty DELETE answer)."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import Kt, RecordingTransport, make_settings

pytestmark = pytest.mark.anyio


async def new_source(kt: Kt, name: str) -> int:
    envelope = await kt.ok("create_traffic_source", {"name": name})
    source_id = envelope["data"]["id"]
    assert isinstance(source_id, int)
    kt.wire.sent.clear()
    return source_id


async def test_create_traffic_source_with_parameters_and_postback(kt: Kt) -> None:
    args = {
        "name": "Wire source",
        "postback_url": "https://ts.example/pb?click={external_id}",
        "postback_statuses": ["lead", "sale"],
        "template_name": "facebook",
        "parameters": {"sub_id_1": {"name": "utm_placement", "placeholder": "{{placement}}", "alias": "Placement"}},
        "traffic_loss": 2.5,
    }
    envelope = await kt.ok("create_traffic_source", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/traffic_sources"
    assert kt.wire.last.body == args
    assert envelope["operation"] == "create"
    changes = envelope["data"]["changes"]
    assert changes["postback_statuses"] == {"before": None, "after": ["lead", "sale"]}
    source = (await kt.ok("get_traffic_source", {"traffic_source_id": envelope["data"]["id"]}))["data"]
    assert source["parameters"]["sub_id_1"]["name"] == "utm_placement"


async def test_update_traffic_source_sends_only_given_fields(kt: Kt) -> None:
    source_id = await new_source(kt, "Before")
    args = {"traffic_source_id": source_id, "state": "paused", "accept_parameters": False}
    envelope = await kt.ok("update_traffic_source", args)
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/traffic_sources/{source_id}"
    assert kt.wire.last.body == {"state": "disabled", "accept_parameters": False}
    assert envelope["operation"] == "update" and envelope["data"]["name"] == "Before"
    assert envelope["data"]["changes"]["state"] == {"before": "active", "after": "paused"}


async def test_clone_traffic_source(kt: Kt) -> None:
    source_id = await new_source(kt, "Original source")
    envelope = await kt.ok("clone_traffic_source", {"traffic_source_id": source_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/traffic_sources/{source_id}/clone"
    assert envelope["operation"] == "clone" and envelope["data"]["name"] == "Copy of Original source"
    assert envelope["data"]["of"] == {"traffic_source_id": source_id}


async def test_delete_traffic_source(kt: Kt) -> None:
    source_id = await new_source(kt, "To delete")
    envelope = await kt.ok("delete_traffic_source", {"traffic_source_id": source_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/traffic_sources/{source_id}"
    assert envelope["operation"] == "delete"
    assert (
        kt.person.asked[-1] == f"Delete traffic source: traffic_source {source_id} “To delete”. This cannot be undone."
    )
    assert envelope["data"]["changes"] == {"exists": {"before": True, "after": False}}
    gone = await kt.call("get_traffic_source", {"traffic_source_id": source_id})
    assert gone["error"]["kind"] == "not_found"


async def test_delete_answered_with_an_empty_body_is_a_success() -> None:
    # Keitaro's spec: DELETE /traffic_sources/{id} answers 200 with no body.
    wire = RecordingTransport(httpx.MockTransport(lambda request: httpx.Response(200)))
    server = build_server(make_settings(KEITARO_CONFIRM="off"), transport=wire)
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("delete_traffic_source", {"traffic_source_id": 12})
    envelope = result.structured_content
    assert envelope is not None and not result.is_error
    assert envelope["success"] is True and "error" not in envelope
    assert envelope["data"] == {"traffic_source_id": 12, "changes": {"exists": {"before": True, "after": False}}}
    assert wire.last.method == "DELETE" and wire.last.path == "/traffic_sources/12"
