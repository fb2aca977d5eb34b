"""Wire tests for the report label tools against the sandbox tracker."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def test_get_labels(kt: Kt) -> None:
    envelope = await kt.ok("get_labels", {"campaign_id": 1, "ref_name": "sub_id_1", "label_name": "blacklist"})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/report/labels"
    assert kt.wire.last.query == {"campaign_id": "1", "ref_name": "sub_id_1", "label_name": "blacklist"}
    assert envelope["resource"] == "blacklist" and envelope["operation"] == "get"
    assert isinstance(envelope["data"], dict)


async def test_update_labels_then_read_them(kt: Kt) -> None:
    items = {"Wire_Feed_A": "blacklist", "Wire_Feed_B": "whitelist"}
    envelope = await kt.ok("update_labels", {"campaign_id": 3, "ref_name": "sub_id_12", "items": items})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/report/labels"
    assert kt.wire.last.body == {"campaign_id": 3, "ref_name": "sub_id_12", "items": items}
    assert envelope["operation"] == "update"
    black = await kt.ok("get_labels", {"campaign_id": 3, "ref_name": "sub_id_12", "label_name": "blacklist"})
    assert black["data"] == {"Wire_Feed_A": "blacklist"}


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_labels", {"campaign_id": 1, "ref_name": "sub_id_1"}),
        ("get_labels", {"campaign_id": 1, "ref_name": "country", "label_name": "blacklist"}),
        ("get_labels", {"campaign_id": 1, "ref_name": "sub_id_31", "label_name": "blacklist"}),
        ("get_labels", {"campaign_id": 0, "ref_name": "ip", "label_name": "blacklist"}),
        ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": {}}),
        ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": {"1.2.3.4": "greylist"}}),
        ("update_labels", {"campaign_id": 1, "ref_name": "ip", "items": ["1.2.3.4"]}),
        ("update_labels", {"campaign_id": 1, "items": {"1.2.3.4": "blacklist"}}),
    ],
)
async def test_bad_input_sends_nothing(kt: Kt, tool: str, arguments: dict[str, object]) -> None:
    envelope = await kt.call(tool, arguments)
    assert envelope["error"]["kind"] == "invalid_arguments"
    assert not kt.wire.sent
