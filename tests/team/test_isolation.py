"""Nothing crosses between people: each has connection pools of their own, while one in-process sandbox tracker
stays one tracker whoever calls it; every key and token the file names is masked in results."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from keitaro_mcp.config import Team, User
from keitaro_mcp.executor import Executor
from keitaro_mcp.operations import OPERATIONS
from keitaro_mcp.sandbox_link import SANDBOX_BASE_URL
from keitaro_mcp.tracker import Tracker
from keitaro_mcp.transport import Transport
from tests.conftest import make_settings
from tests.team.conftest import TOKENS, USER_KEYS

pytestmark = pytest.mark.anyio

OPS = {op.name: op for op in OPERATIONS}


async def test_each_user_has_pools_of_their_own() -> None:
    transport = Transport(network=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    base = Tracker(base_url="http://tracker.test/admin_api/v1", name="main")
    anna = replace(base, api_key=USER_KEYS["anna.buyer"], user="anna")
    oleg = replace(base, api_key=USER_KEYS["oleg.buyer"], user="oleg")
    try:
        assert transport.pool(anna) is transport.pool(anna)
        assert transport.pool(anna) is not transport.pool(oleg) and transport.pool(base) is not transport.pool(anna)
        assert set(transport.pools) == {(base.base_url, "anna"), (base.base_url, "oleg"), (base.base_url, "local")}
    finally:
        await transport.aclose()


async def test_one_sandbox_tracker_whoever_calls_it() -> None:
    from keitaro_mcp.sandbox_link import SANDBOX_KEYS

    transport = Transport()
    local = Tracker(base_url=SANDBOX_BASE_URL, api_key=SANDBOX_KEYS[0], sandbox=True)
    anna = replace(local, api_key="sandbox-anna-key", user="anna")
    try:
        created = await transport.send(
            anna, "POST", "/campaigns", body={"name": "Anna's new one", "alias": "anna-new"}, retry=False
        )
        assert isinstance(created, httpx.Response) and created.status_code == 200
        listed = await transport.send(local, "GET", "/campaigns", retry=True)
        assert isinstance(listed, httpx.Response)
        assert "Anna's new one" in {c["name"] for c in listed.json()}
    finally:
        await transport.aclose()


async def test_every_key_and_token_of_the_team_is_masked() -> None:
    # A tracker that echoes whatever it can: the key it got, and other people's secrets in its data.
    secrets = [USER_KEYS["oleg.buyer"], TOKENS["oleg"], USER_KEYS["anna.buyer"]]

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1, "name": " ".join(secrets), "key": request.headers["Api-Key"]})

    settings = make_settings()
    main = Tracker(base_url="http://tracker.test/admin_api/v1", name="main")
    team = Team(
        trackers=(main,),
        users=(
            User(name="anna", keys={"main": USER_KEYS["anna.buyer"]}, token=TOKENS["anna"]),
            User(name="oleg", keys={"main": USER_KEYS["oleg.buyer"]}, token=TOKENS["oleg"]),
        ),
    )
    executor = Executor(settings, Transport(network=httpx.MockTransport(echo)), secrets=team.secrets())
    op = OPS["get_campaign"]
    try:
        anna = replace(main, api_key=USER_KEYS["anna.buyer"], user="anna")
        envelope = await executor.call(op, op.params.model_validate({"campaign_id": 1}), tracker=anna)
    finally:
        await executor.aclose()
    assert envelope["data"] == {"id": 1, "name": "*** *** ***", "key": "***"}
