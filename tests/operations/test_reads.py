"""The plain reads, one row each: the request that leaves the server, the envelope's n8n ids, and the answer.

A list answers rows and counts them; a get reads the first entity its list (`of`) returns and answers that entity;
a value read answers one object. A new read-only tool adds its row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from tests.conftest import Kt, records

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Read:
    tool: str
    method: str
    path: str
    """The Admin API path; `{id}` is the id of the first entity `of` lists."""
    resource: str
    operation: str
    kind: Literal["list", "get", "value"] = "list"
    args: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    of: tuple[str, dict[str, Any]] | None = None
    """The list (and its arguments) whose first entity is read; its id goes into `id_arg`."""
    id_arg: str = ""
    same: str = "name"
    """A field the get must answer as the list showed it."""
    belongs: str | None = None
    """A list of one entity's children: the field every row carries the parent's id in."""
    at_least: int = 1
    """Rows the list has in the session sandbox whatever ran before (archives are cleaned by another test)."""


CAMPAIGNS = ("list_campaigns", {"limit": 1})
FLOWS = ("list_campaign_flows", {"campaign_id": 1})

READS = [
    Read("get_campaign", "GET", "/campaigns/{id}", "campaign", "get", "get", of=CAMPAIGNS, id_arg="campaign_id"),
    Read("list_campaign_flows", "GET", "/campaigns/{id}/streams", "stream", "getAll", of=CAMPAIGNS,
         id_arg="campaign_id", belongs="campaign_id"),
    Read("get_flow", "GET", "/streams/{id}", "stream", "get", "get", of=FLOWS, id_arg="flow_id"),
    Read("get_flow_events", "GET", "/streams/{id}/events", "stream", "getEvents", "get", of=FLOWS, id_arg="flow_id"),
    Read("list_deleted_flows", "GET", "/streams/deleted", "stream", "getDeleted", at_least=0),
    Read("list_flow_types", "GET", "/stream_types", "stream", "getTypes"),
    Read("list_flow_schemas", "GET", "/stream_schemas", "stream", "getSchemas"),
    Read("list_flow_actions", "GET", "/streams_actions", "stream", "getActions"),
    Read("list_flow_filters", "GET", "/stream_filters", "filter", "getAll"),
    Read("list_offers", "GET", "/offers", "offer", "getAll"),
    Read("get_offer", "GET", "/offers/{id}", "offer", "get", "get", of=("list_offers", {}), id_arg="offer_id"),
    Read("list_landing_pages", "GET", "/landing_pages", "landing", "getAll"),
    Read("get_landing_page", "GET", "/landing_pages/{id}", "landing", "get", "get", of=("list_landing_pages", {}),
         id_arg="landing_id"),
    Read("list_affiliate_networks", "GET", "/affiliate_networks", "affiliate_network", "getAll"),
    Read("get_affiliate_network", "GET", "/affiliate_networks/{id}", "affiliate_network", "get", "get",
         of=("list_affiliate_networks", {}), id_arg="affiliate_network_id"),
    Read("list_traffic_sources", "GET", "/traffic_sources", "source", "getAll"),
    Read("get_traffic_source", "GET", "/traffic_sources/{id}", "source", "get", "get",
         of=("list_traffic_sources", {}), id_arg="traffic_source_id"),
    Read("list_domains", "GET", "/domains", "domain", "getAll"),
    Read("get_domain", "GET", "/domains/{id}", "domain", "get", "get", of=("list_domains", {}), id_arg="domain_id"),
    Read("list_domains", "GET", "/domains/deleted", "domain", "getDeleted", args={"state": "archived"}, at_least=0),
    Read("list_users", "GET", "/users", "user", "getAll"),
    Read("get_user", "GET", "/users/{id}", "user", "get", "get", of=("list_users", {}), id_arg="user_id", same="login"),
    Read("list_log_types", "POST", "/logs/types", "log", "getTypes"),
    Read("list_facebook_integrations", "GET", "/integrations/facebook", "integration", "getAllFacebook"),
    Read("get_labels", "GET", "/report/labels", "blacklist", "get", "value",
         args={"campaign_id": 1, "ref_name": "sub_id_1", "label_name": "blacklist"},
         query={"campaign_id": "1", "ref_name": "sub_id_1", "label_name": "blacklist"}),
]  # fmt: skip


@pytest.mark.parametrize(
    "read", READS, ids=[f"{r.tool}{'(' + ','.join(r.args) + ')' if r.args else ''}" for r in READS]
)
async def test_read(kt: Kt, read: Read) -> None:
    args, path, parent = dict(read.args), read.path, None
    if read.of is not None:
        parent = records((await kt.ok(*read.of))["data"])[0]
        args[read.id_arg] = parent["id"]
        path = path.replace("{id}", str(parent["id"]))
    envelope = await kt.ok(read.tool, args)
    sent = kt.wire.last
    assert (sent.method, sent.path, sent.query) == (read.method, path, read.query)
    assert (envelope["resource"], envelope["operation"]) == (read.resource, read.operation)
    assert envelope["request"]["headers"]["Api-Key"] == "***"
    data = envelope["data"]
    if read.kind == "list":
        rows = records(data)
        assert envelope["count"] == len(rows) >= read.at_least
        if read.belongs is not None:
            assert parent is not None and rows and all(row[read.belongs] == parent["id"] for row in rows)
    elif read.kind == "get":
        assert parent is not None and "count" not in envelope
        assert data["id"] == parent["id"] and data[read.same] == parent[read.same]
    else:
        assert isinstance(data, dict) and "count" not in envelope
