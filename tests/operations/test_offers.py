"""Wire tests for the offer tools, the local offer's file editor included, against the sandbox tracker."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import string
import zipfile
from typing import Any

import pytest

from keitaro_mcp.operations._entity import INLINE_DOWNLOAD_LIMIT
from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio


async def new_offer(kt: Kt, **fields: Any) -> int:
    envelope = await kt.ok("create_offer", {"name": "Wire offer", **fields})
    offer_id = envelope["data"]["id"]
    assert isinstance(offer_id, int)
    kt.wire.sent.clear()
    return offer_id


async def test_create_offer_sends_group_id_as_integer_and_countries_as_given(kt: Kt) -> None:
    args = {"name": "Wire create", "offer_type": "external", "action_type": "http",
            "action_payload": "https://aff.example/?sub1={subid}", "payout_value": 12.5, "payout_currency": "EUR",
            "payout_type": "CPA", "country": ["US", "Romania"], "group_id": 4, "daily_cap": 50}  # fmt: skip
    envelope = await kt.ok("create_offer", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/offers"
    assert kt.wire.last.body == args, "OfferRequest.group_id is an integer (unlike campaigns and landings)"
    assert envelope["operation"] == "create"
    offer = envelope["data"]
    assert offer["name"] == "Wire create" and offer["changes"]["country"]["after"] == ["US", "Romania"]
    assert offer["changes"]["group_id"] == {"before": None, "after": 4}


async def test_update_offer_sends_only_given_fields(kt: Kt) -> None:
    offer_id = await new_offer(kt, payout_type="CPA", notes="keep me")
    args = {"offer_id": offer_id, "payout_value": 3, "country": ["DE"], "payout_auto": True}
    envelope = await kt.ok("update_offer", args)
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/offers/{offer_id}"
    assert kt.wire.last.body == {"payout_value": 3.0, "country": ["DE"], "payout_auto": True}
    assert envelope["operation"] == "update"
    changes = envelope["data"]["changes"]
    assert changes["country"]["after"] == ["DE"] and changes["payout_auto"] == {"before": False, "after": True}
    assert "notes" not in changes


async def test_update_offer_settings_sends_group_id_as_integer(kt: Kt) -> None:
    offer_id = await new_offer(kt)
    (other,) = [o["id"] for o in records((await kt.ok("list_offers"))["data"])[:1]]
    args = {"offer_id": offer_id, "group_id": 7, "conversion_cap_enabled": True, "alternative_offer_id": other}
    envelope = await kt.ok("update_offer_settings", args)
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/offers/{offer_id}"
    assert kt.wire.last.body == {"group_id": 7, "conversion_cap_enabled": True, "alternative_offer_id": other}
    assert envelope["operation"] == "update"
    assert envelope["data"]["changes"]["alternative_offer_id"]["after"] == other


async def test_clone_offer(kt: Kt) -> None:
    offer_id = await new_offer(kt, name="Original")
    envelope = await kt.ok("clone_offer", {"offer_id": offer_id})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/offers/{offer_id}/clone"
    assert envelope["operation"] == "clone"
    assert envelope["data"]["id"] != offer_id and envelope["data"]["name"] == "Copy of Original"
    assert envelope["data"]["of"] == {"offer_id": offer_id}


async def test_archive_offer_uses_the_archive_path(kt: Kt) -> None:
    offer_id = await new_offer(kt)
    envelope = await kt.ok("archive_offer", {"offer_id": offer_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/offers/{offer_id}/archive"
    assert envelope["operation"] == "delete"
    assert envelope["data"]["changes"]["state"] == {"before": "active", "after": "archived"}
    gone = await kt.call("get_offer", {"offer_id": offer_id})
    assert gone["error"]["kind"] == "not_found"


async def test_offer_files_add_write_read_tree_download_remove(kt: Kt) -> None:
    offer_id = await new_offer(kt, offer_type="local")
    added = await kt.ok("add_offer_file", {"offer_id": offer_id, "path": "css/site.css"})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"/offers/{offer_id}/add_file"
    assert kt.wire.last.query == {"path": "css/site.css"}
    assert added["operation"] == "addFile"
    assert added["data"]["of"] == {"offer_id": offer_id}
    assert added["data"]["changes"] == {"path": {"before": None, "after": "css/site.css"}}

    html = "<h1>Offer & more</h1>"
    written = await kt.ok("update_offer_file", {"offer_id": offer_id, "path": "index.html", "data": html})
    write = kt.wire.last_write
    assert write.method == "PUT" and write.path == f"/offers/{offer_id}/update_file"
    assert write.query == {"path": "index.html", "data": html}, "Keitaro takes the content in the query"
    assert not write.body
    assert written["operation"] == "updateFile"
    assert written["data"]["changes"] == {"path": {"after": "index.html"}, "data": {"after": html}}

    read = await kt.ok("get_offer_file", {"offer_id": offer_id, "path": "index.html"})
    assert kt.wire.last.method == "GET" and kt.wire.last.query == {"path": "index.html"}
    assert read["operation"] == "getFile" and read["data"] == {"data": html}

    tree = await kt.ok("get_offer_structure", {"offer_id": offer_id})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == f"/offers/{offer_id}/get_structure"
    assert tree["operation"] == "getStructure"
    assert sorted(child["name"] for child in tree["data"]["children"]) == ["css", "index.html"]

    download = await kt.ok("download_offer", {"offer_id": offer_id})
    assert kt.wire.last.method == "GET" and kt.wire.last.path == f"/offers/{offer_id}/download"
    assert download["resource"] == "offer" and download["operation"] == "download"
    data = download["data"]
    raw = base64.b64decode(data["content_base64"])
    assert data["size"] == len(raw) and data["sha256"] == hashlib.sha256(raw).hexdigest()
    assert data["content_type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.read("index.html").decode() == html

    removed = await kt.ok("remove_offer_file", {"offer_id": offer_id, "path": "index.html"})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/offers/{offer_id}/remove_file"
    assert kt.wire.last.query == {"path": "index.html"}
    assert removed["operation"] == "removeFile" and removed["data"]["changes"] == {
        "file": {"before": True, "after": False}
    }
    assert (
        kt.person.asked[-1].startswith(f"Remove offer file: offer {offer_id} “")
        and "(path index.html)" in (kt.person.asked[-1])
    )
    missing = await kt.call("get_offer_file", {"offer_id": offer_id, "path": "index.html"})
    assert missing["error"]["kind"] == "not_found"


async def test_a_large_download_comes_back_as_size_and_checksum_only(kt: Kt) -> None:
    offer_id = await new_offer(kt, offer_type="local")
    noise = "".join(random.Random(5).choices(string.ascii_letters + string.digits, k=2 * INLINE_DOWNLOAD_LIMIT))
    await kt.ok("update_offer_file", {"offer_id": offer_id, "path": "noise.txt", "data": noise})
    data = (await kt.ok("download_offer", {"offer_id": offer_id}))["data"]
    assert data["size"] > INLINE_DOWNLOAD_LIMIT
    assert "content_base64" not in data and "get_offer_file" in data["note"]
    assert len(data["sha256"]) == 64


async def test_download_of_a_missing_offer_is_not_found(kt: Kt) -> None:
    envelope = await kt.call("download_offer", {"offer_id": 987654})
    assert envelope["error"]["kind"] == "not_found" and envelope["data"] is None
