"""Wire tests for the landing page tools, the local landing's file editor included, against the sandbox tracker."""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

import pytest

from tests.conftest import Kt

pytestmark = pytest.mark.anyio


async def new_landing(kt: Kt, **fields: Any) -> int:
    envelope = await kt.ok("create_landing_page", {"name": "Wire landing", **fields})
    landing_id = envelope["data"]["id"]
    assert isinstance(landing_id, int)
    kt.wire.sent.clear()
    return landing_id


async def test_create_landing_page_sends_group_id_as_string(kt: Kt) -> None:
    args = {"name": "External lander", "landing_type": "external", "action_type": "http",
            "url": "https://lp.example/a", "group_id": 2, "notes": "n"}  # fmt: skip
    envelope = await kt.ok("create_landing_page", args)
    assert kt.wire.last.method == "POST" and kt.wire.last.path == "/landing_pages"
    assert kt.wire.last.body == {**args, "group_id": "2"}
    assert envelope["operation"] == "create"
    changes = envelope["data"]["changes"]
    assert changes["landing_type"]["after"] == "external" and changes["url"]["after"] == "https://lp.example/a"
    assert changes["group_id"] == {"before": None, "after": 2}, "the tracker's integer, not the string sent"


async def test_create_local_landing_page_passes_the_zip_archive(kt: Kt) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<p>hi</p>")
    encoded = base64.b64encode(buffer.getvalue()).decode()
    await kt.ok("create_landing_page", {"name": "Local lander", "archive": encoded})
    assert kt.wire.last.body == {"name": "Local lander", "archive": encoded}


async def test_update_landing_page_sends_only_given_fields(kt: Kt) -> None:
    landing_id = await new_landing(kt, notes="keep me")
    args = {"landing_id": landing_id, "name": "Renamed", "state": "paused", "group_id": 3}
    envelope = await kt.ok("update_landing_page", args)
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/landing_pages/{landing_id}"
    assert kt.wire.last.body == {"name": "Renamed", "state": "disabled", "group_id": "3"}
    assert envelope["operation"] == "update"
    assert envelope["data"]["changes"]["state"] == {"before": "active", "after": "paused"}
    assert envelope["data"]["changes"]["name"]["after"] == "Renamed" and "notes" not in envelope["data"]["changes"]


async def test_clone_landing_page_is_a_put(kt: Kt) -> None:
    landing_id = await new_landing(kt, name="Original lander")
    envelope = await kt.ok("clone_landing_page", {"landing_id": landing_id})
    assert kt.wire.last.method == "PUT" and kt.wire.last.path == f"/landing_pages/{landing_id}/clone"
    assert envelope["operation"] == "clone"
    assert envelope["data"]["id"] != landing_id and envelope["data"]["name"] == "Copy of Original lander"
    assert envelope["data"]["of"] == {"landing_id": landing_id}


async def test_archive_landing_page(kt: Kt) -> None:
    landing_id = await new_landing(kt)
    envelope = await kt.ok("archive_landing_page", {"landing_id": landing_id})
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"/landing_pages/{landing_id}"
    assert envelope["operation"] == "delete"
    assert envelope["data"]["changes"]["state"] == {"before": "active", "after": "archived"}
    gone = await kt.call("get_landing_page", {"landing_id": landing_id})
    assert gone["error"]["kind"] == "not_found"


async def test_landing_page_files(kt: Kt) -> None:
    landing_id = await new_landing(kt)
    base = f"/landing_pages/{landing_id}"
    await kt.ok("add_landing_page_file", {"landing_id": landing_id, "path": "js/app.js"})
    assert kt.wire.last.method == "POST" and kt.wire.last.path == f"{base}/add_file"
    assert kt.wire.last.query == {"path": "js/app.js"}
    written = await kt.ok(
        "update_landing_page_file", {"landing_id": landing_id, "path": "index.html", "data": "<b>x</b>"}
    )
    assert kt.wire.last_write.method == "PUT" and kt.wire.last_write.path == f"{base}/update_file"
    assert kt.wire.last_write.query == {"path": "index.html", "data": "<b>x</b>"}
    assert written["data"]["changes"] == {"path": {"after": "index.html"}, "data": {"after": "<b>x</b>"}}
    read = await kt.ok("get_landing_page_file", {"landing_id": landing_id, "path": "index.html"})
    assert kt.wire.last.path == f"{base}/get_file" and read["data"] == {"data": "<b>x</b>"}
    tree = await kt.ok("get_landing_page_structure", {"landing_id": landing_id})
    assert kt.wire.last.path == f"{base}/get_structure"
    assert sorted(child["name"] for child in tree["data"]["children"]) == ["index.html", "js"]
    download = await kt.ok("download_landing_page", {"landing_id": landing_id})
    assert kt.wire.last.path == f"{base}/download" and download["resource"] == "landing"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(download["data"]["content_base64"]))) as archive:
        assert sorted(archive.namelist()) == ["index.html", "js/app.js"]
    removed = await kt.ok("remove_landing_page_file", {"landing_id": landing_id, "path": "js/app.js"})
    assert kt.person.asked[-1] == (
        f"Remove landing page file: landing {landing_id} “Wire landing” (path js/app.js). This cannot be undone."
    )
    assert kt.wire.last.method == "DELETE" and kt.wire.last.path == f"{base}/remove_file"
    assert removed["data"] == {
        "landing_id": landing_id, "path": "js/app.js", "name": "Wire landing",
        "changes": {"file": {"before": True, "after": False}},
    }  # fmt: skip
