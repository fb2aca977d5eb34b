"""Campaign S2S postback writes don't lose each other: writes to one campaign run one at a time in this process,
and every write reads the campaign back, answering `conflict` rather than success when another writer (another
replica, the panel) replaced the postbacks array in between. Keitaro itself has no version check.

The tracker is the session's sandbox; another writer is a second request sent straight to it. Across replicas a
write can still be lost after its read-back (README: Keitaro offers no version check); the read-back catches the
writer that came in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from keitaro_mcp.server import build_server
from tests.conftest import TEST_POSTBACK_KEY, Kt, RecordingTransport, make_settings

pytestmark = pytest.mark.anyio


async def new_campaign(kt: Kt, name: str) -> int:
    campaign_id = (await kt.ok("create_campaign", {"name": name}))["data"]["id"]
    assert isinstance(campaign_id, int)
    return campaign_id


async def postback_urls(kt: Kt, campaign_id: int) -> list[str]:
    listed = await kt.ok("list_campaign_postbacks", {"campaign_id": campaign_id})
    return sorted(p["url"] for p in listed["data"])


async def at_once(calls: list[Callable[[], Awaitable[dict[str, Any]]]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in calls]

    async def run(i: int) -> None:
        results[i] = await calls[i]()

    async with anyio.create_task_group() as tg:
        for i in range(len(calls)):
            tg.start_soon(run, i)
    return results


async def test_eight_concurrent_creates_keep_all_eight(kt: Kt) -> None:
    """Was: all 8 reported success and only 4 postbacks were saved."""
    campaign_id = await new_campaign(kt, "Eight postbacks at once")
    urls = [f"https://ts.example/{i}?s={{subid}}" for i in range(8)]

    def create(url: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        return lambda: kt.call("create_campaign_postback", {"campaign_id": campaign_id, "url": url})

    results = await at_once([create(url) for url in urls])
    assert all(r["success"] for r in results), [r.get("error") for r in results]
    assert await postback_urls(kt, campaign_id) == sorted(urls)


async def test_concurrent_update_and_delete_of_one_campaign_keep_each_other(kt: Kt) -> None:
    campaign_id = await new_campaign(kt, "Update and delete at once")
    ids = []
    for i in range(3):
        created = await kt.ok(
            "create_campaign_postback", {"campaign_id": campaign_id, "url": f"https://ts.example/{i}"}
        )
        ids.append(int(next(iter(created["data"]["changes"])).split("[")[1].split("]")[0]))
    results = await at_once([
        lambda: kt.call("update_campaign_postback", {"campaign_id": campaign_id, "postback_id": ids[0],
                                                     "url": "https://ts.example/changed"}),
        lambda: kt.call("delete_campaign_postback", {"campaign_id": campaign_id, "postback_id": ids[1]}),
        lambda: kt.call("create_campaign_postback", {"campaign_id": campaign_id, "url": "https://ts.example/new"}),
    ])  # fmt: skip
    assert all(r["success"] for r in results), [r.get("error") for r in results]
    assert await postback_urls(kt, campaign_id) == sorted(
        ["https://ts.example/changed", "https://ts.example/2", "https://ts.example/new"]
    )


async def test_a_write_another_replica_undid_is_a_conflict_not_a_success(kt: Kt, sandbox: Any) -> None:
    """Another writer puts its own array between our write and our read-back: our postback is gone, and we say so."""
    campaign_id = await new_campaign(kt, "Lost update")
    app = httpx.ASGITransport(app=sandbox.app)

    class OtherReplica(RecordingTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.method == "PUT" and request.url.path.endswith(f"/campaigns/{campaign_id}"):
                # The other writer read the campaign before our write and now sends its array back.
                other = httpx.Request("PUT", request.url, headers={"Api-Key": request.headers["api-key"]},
                                      json={"postbacks": [{"url": "https://other.example/", "method": "GET",
                                                           "statuses": ["sale"]}]})  # fmt: skip
                await app.handle_async_request(other)
            return response

    settings = make_settings(KEITARO_POSTBACK_KEY=TEST_POSTBACK_KEY)
    async with Client(build_server(settings, transport=OtherReplica(app)), raise_exceptions=True) as client:
        result = await client.call_tool(
            "create_campaign_postback", {"campaign_id": campaign_id, "url": "https://ours.example/"}
        )
    envelope: Any = result.structured_content
    assert result.is_error and envelope["error"]["kind"] == "conflict", envelope
    assert "read back without it" in envelope["error"]["message"]
    assert "no version check" in envelope["error"]["message"]
    assert await postback_urls(kt, campaign_id) == ["https://other.example/"]
