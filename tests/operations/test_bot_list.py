"""Wire tests for the bot list tools against the sandbox tracker (one test: the list is shared state)."""

from __future__ import annotations

from typing import Any

import pytest

from keitaro_mcp.registry import Operation
from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def test_bot_list_round_trip(kt: Kt) -> None:
    original = await kt.ok("get_bot_list")
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/botlist"
    assert original["resource"] == "bot" and original["operation"] == "get"
    assert isinstance(original["data"], list) and original["count"] == len(original["data"]) >= 1
    try:
        added = await kt.ok("add_bot_list_ips", {"ips": ["203.0.113.7", "2001:db8::/32", "203.0.113.7"]})
        assert kt.wire.last.method == "POST" and kt.wire.last.path == "/botlist/add"
        assert kt.wire.last.body == {"value": "203.0.113.7\n2001:db8::/32"}, "newline-joined, duplicates once"
        assert added["operation"] == "add"
        assert added["data"]["changes"]["ips"]["after"][:2] == ["203.0.113.7", "2001:db8::/32"]

        excluded = await kt.ok("exclude_bot_list_ips", {"ips": ["203.0.113.7"]})
        assert kt.wire.last_write.method == "POST" and kt.wire.last_write.path == "/botlist/exclude"
        assert kt.wire.last_write.body == {"value": "203.0.113.7"}
        assert excluded["operation"] == "exclude"
        [(listed, change)] = excluded["data"]["changes"].items()
        assert listed == "entries" and change["before"] == [*original["data"], "203.0.113.7", "2001:db8::/32"]
        assert change["after"] == [*original["data"], "2001:db8::/32"]
        now = await kt.ok("get_bot_list")
        assert "2001:db8::/32" in now["data"] and "203.0.113.7" not in now["data"]

        replaced = await kt.ok("replace_bot_list", {"ips": ["198.51.100.1", "198.51.100.0/24"]})
        assert kt.person.asked[-1] == (
            f"Replace the tracker's bot list of {original['count'] + 1} entries with 2: {original['count'] + 1} "
            f"removed: {', '.join([*original['data'], '2001:db8::/32'][:5])}"
            f"{' and 1 more' if original['count'] == 5 else ''}; 2 added. Removed entries are not kept anywhere."
        )
        assert kt.wire.last.method == "PUT" and kt.wire.last.path == "/botlist"
        assert kt.wire.last.body == {"value": "198.51.100.1\n198.51.100.0/24"}
        assert replaced["operation"] == "replace"
        assert replaced["data"]["changes"] == {"entries": {"before": original["count"] + 1, "after": 2}}
        assert replaced["data"]["added"] == ["198.51.100.1", "198.51.100.0/24"]

        cleared = await kt.ok("clear_bot_list")
        assert kt.person.asked[-1].startswith("Remove all 2 entries of the tracker's bot list (198.51.100.1, ")
        assert kt.wire.last.method == "DELETE" and kt.wire.last.path == "/botlist"
        assert kt.wire.last.query == {} and kt.wire.last.body is None
        assert cleared["operation"] == "clear"
        assert cleared["data"]["changes"] == {"entries": {"before": 2, "after": 0}}
        assert (await kt.ok("get_bot_list"))["data"] == []
    finally:
        await kt.ok("replace_bot_list", {"ips": original["data"]})
    assert (await kt.ok("get_bot_list"))["data"] == original["data"]


def test_get_bot_list_splits_newlines_and_spaces() -> None:
    from keitaro_mcp.operations.bot_list import OPERATIONS

    get: Operation[Any] = next(op for op in OPERATIONS if op.name == "get_bot_list")
    assert get.shape is not None
    assert get.shape({"value": "1.1.1.1 2.2.2.2\n3.3.3.0/24\n"}, None).data == ["1.1.1.1", "2.2.2.2", "3.3.3.0/24"]
    assert get.shape({"value": ""}, None).data == []
