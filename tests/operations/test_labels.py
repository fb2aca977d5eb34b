"""Wire tests for the report label tools against the sandbox tracker."""

from __future__ import annotations

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def test_update_labels_then_read_them(kt: Kt) -> None:
    items = {"Wire_Feed_A": "blacklist", "Wire_Feed_B": "whitelist"}
    envelope = await kt.ok("update_labels", {"campaign_id": 3, "ref_name": "sub_id_12", "items": items})
    assert kt.wire.last_write.method == "POST" and kt.wire.last_write.path == "/report/labels"
    assert kt.wire.last_write.body == {"campaign_id": 3, "ref_name": "sub_id_12", "items": items}
    assert envelope["operation"] == "update"
    assert envelope["data"]["changes"]["items"] == {"after": items}
    black = await kt.ok("get_labels", {"campaign_id": 3, "ref_name": "sub_id_12", "label_name": "blacklist"})
    assert black["data"] == {"Wire_Feed_A": "blacklist"}
