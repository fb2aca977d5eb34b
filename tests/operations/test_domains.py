"""Wire tests for the domain tools against the sandbox tracker."""

from __future__ import annotations

from typing import Any

import pytest

from keitaro_mcp.registry import Operation
from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio


async def new_domain(kt: Kt, name: str) -> int:
    envelope = await kt.ok("create_domain", {"name": name})
    domain_id = envelope["data"]["id"]
    assert isinstance(domain_id, int)
    return domain_id


async def test_create_domain_sends_given_fields_and_unwraps_the_array(kt: Kt) -> None:
    args = {"name": "wire-create.example", "catch_not_found": True, "notes": "n", "allow_indexing": False}
    envelope = await kt.ok("create_domain", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/domains"
    assert kt.wire.last.body == {**args, "is_ssl": False}, "is_ssl is required by Keitaro's document: always sent"
    assert envelope["operation"] == "create" and "count" not in envelope
    assert envelope["data"]["name"] == "wire-create.example"
    assert envelope["data"]["changes"]["catch_not_found"] == {"before": None, "after": True}


async def test_create_domain_twice_is_a_validation_error(kt: Kt) -> None:
    await new_domain(kt, "twice.example")
    again = await kt.call("create_domain", {"name": "twice.example"})
    assert again["error"]["kind"] == "validation"


async def test_update_domain_sends_only_given_fields(kt: Kt) -> None:
    domain_id = await new_domain(kt, "wire-update.example")
    envelope = await kt.ok("update_domain", {"domain_id": domain_id, "is_ssl": False, "default_campaign_id": 2})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/domains/{domain_id}"
    assert kt.wire.last.body == {"is_ssl": False, "default_campaign_id": 2}
    assert envelope["operation"] == "update" and envelope["data"]["id"] == domain_id
    assert envelope["data"]["changes"]["default_campaign_id"]["after"] == 2


async def test_check_domain(kt: Kt) -> None:
    domain_id = await new_domain(kt, "wire-check.example")
    envelope = await kt.ok("check_domain", {"domain_id": domain_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/domains/{domain_id}/check"
    assert envelope["operation"] == "check" and envelope["data"]["id"] == domain_id


async def test_archive_list_deleted_and_restore(kt: Kt) -> None:
    domain_id = await new_domain(kt, "wire-archive.example")
    archived = await kt.ok("archive_domain", {"domain_id": domain_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/domains/{domain_id}"
    assert archived["operation"] == "delete"
    gone = await kt.call("get_domain", {"domain_id": domain_id})
    assert gone["error"]["kind"] == "not_found"
    write = await kt.call("update_domain", {"domain_id": domain_id, "notes": "x"})
    assert write["error"]["kind"] == "not_found", "a write on an archived domain is not a success"
    deleted = await kt.ok("list_domains", {"state": "archived"})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == "/domains/deleted" and kt.wire.last.query == {}
    assert deleted["operation"] == "getDeleted" and domain_id in [d["id"] for d in records(deleted["data"])]
    assert {d["state"] for d in records(deleted["data"])} == {"archived"}
    restored = await kt.ok("restore_domain", {"domain_id": domain_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/domains/{domain_id}/restore"
    assert restored["operation"] == "restore"
    back = await kt.ok("get_domain", {"domain_id": domain_id})
    assert back["data"]["state"] == "active"


async def test_missing_domain_is_not_found(kt: Kt) -> None:
    envelope = await kt.call("check_domain", {"domain_id": 987654})
    assert envelope["error"]["kind"] == "not_found"


def test_create_answer_is_accepted_as_array_or_object() -> None:
    from keitaro_mcp.operations.domains import OPERATIONS

    create: Operation[Any] = next(op for op in OPERATIONS if op.name == "create_domain")
    assert create.shape is not None
    domain = {"id": 9, "name": "a.example"}
    assert create.shape([domain], None).data == domain, "the spec's array<Domain> answer"
    assert create.shape(domain, None).data == domain, "a bare Domain answer"
    assert create.shape([domain, domain], None).data == [domain, domain]
