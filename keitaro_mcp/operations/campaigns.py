"""Campaigns: list, read, create, edit, archive/restore, pause/resume, clone, flows, costs."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from keitaro_mcp.compact import to_number
from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations._common import (
    CampaignId,
    CostModel,
    Currency,
    DateTimeMinute,
    DomainId,
    EntityState,
    GroupId,
    Limit,
    Offset,
    Params,
    PositiveId,
    Timezone,
    TrafficSourceId,
    check_date_order,
    format_check,
)
from keitaro_mcp.operations._counts import Traffic, campaigns_text, period_text, traffic
from keitaro_mcp.operations._entity import operation_factory, pause_resume
from keitaro_mcp.operations._lists import FLOW_COLUMNS, FullOption, ScanColumns, entity_state, list_shape, table
from keitaro_mcp.registry import Impact, RequestParts, Variant

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS", "CostFilters", "ParameterSpec", "S2SPostback"]

RotationType = Literal["position", "weight"]
BindVisitors = Literal["", "s", "sl", "slo"]
UniquenessMethod = Literal["ip", "ip_ua"]
ConversionStatus = Literal["lead", "sale", "rejected", "rebill"]


Alias = Annotated[str, format_check(r"^[A-Za-z0-9_-]{1,64}$", "1-64 letters, digits, _ or -")]
"""A campaign's URL slug: a format, checked here (the error says it), not a published pattern."""


class ParameterSpec(Params):
    # No docstring on purpose: it would be repeated in every schema that embeds this model.
    name: str
    """URL parameter."""
    placeholder: str | None = None
    """Source macro, e.g. {zoneid}."""
    alias: str | None = None


class S2SPostback(Params):
    """Sent to the traffic source on a conversion."""

    id: PositiveId | None = None
    """Set by Keitaro."""
    url: str = Field(min_length=1)
    """With macros, e.g. {subid}, {status}."""
    method: Literal["GET", "POST"] = "GET"
    statuses: list[ConversionStatus] = Field(default_factory=lambda: list[ConversionStatus](["sale"]))
    """Default: sale."""


class CostFilters(Params):
    """Only matching clicks, e.g. {"sub_id_1": "1,2,3"}."""

    model_config = Params.model_config | {"extra": "allow"}

    source: str | None = None
    keyword: str | None = None
    external_id: str | None = None
    creative_id: str | None = None
    ad_campaign_id: str | None = None


class ListCampaigns(FullOption):
    """Campaigns: id, name, state, group, traffic source, cost, flows count; every setting: get_campaign."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    """Part of the name, any case."""
    state: Literal["active", "paused", "archived", "all"] | None = None
    """Default: active and paused."""
    offset: Offset | None = None
    limit: Limit | None = None


class GetCampaign(Params):
    """With all its settings."""

    campaign_id: CampaignId


class _CampaignFields(Params):
    type: RotationType | None = None
    """Flows: first match, or split by weight."""
    cost_type: CostModel | None = None
    cost_value: float | None = Field(default=None, ge=0)
    cost_currency: Currency | None = None
    cost_auto: bool | None = None
    """Cost from the click URL."""
    group_id: GroupId | None = None
    traffic_source_id: TrafficSourceId | None = None
    domain_id: DomainId | None = None
    bind_visitors: BindVisitors | None = None
    """s=flow, sl=+landing, slo=+offer, ''=off."""
    cookies_ttl: int | None = Field(default=None, ge=1, le=8760)
    """Hours until unique again."""
    uniqueness_method: UniquenessMethod | None = None
    notes: str | None = None


class CreateCampaign(_CampaignFields):
    """Its URL is http://<domain>/<alias>; a random alias when none is given. S2S postbacks: *_campaign_postback."""

    name: str = Field(min_length=1, max_length=200)
    alias: Alias | None = None
    """Unique in the tracker."""
    state: EntityState | None = None
    parameters: dict[str, ParameterSpec] | None = None
    """Not copied from the source; e.g. {"sub_id_1": {"name": "zone"}}."""


CAMPAIGN_COLUMNS = ScanColumns(
    ("id", "name", "state", "group", "ts", "cost_type", "cost_value", "cost_currency", "flows"),
    numbers=frozenset({"cost_value"}),
    derive={"flows": lambda c: to_number(c.get("streams_count"))},
)
"""What a person scans a campaign list by; `ts` is the traffic source's name."""


async def _list_campaigns(ctx: CallContext, args: ListCampaigns) -> Envelope:
    """GET /campaigns (paged by Keitaro when nothing is filtered), GET /campaigns/deleted for archived ones."""
    if args.name is None and args.state is None:
        paging = {k: v for k, v in (("offset", args.offset), ("limit", args.limit)) if v is not None}
        envelope = await ctx.read("/campaigns", paging or None)
        if not envelope["success"]:
            return envelope
        campaigns = [c for c in envelope["data"] or [] if isinstance(c, dict)]
        meta: dict[str, Any] = {}
    else:
        # Keitaro filters neither by name nor by state: both lists are read whole, then filtered and paged here.
        found: list[dict[str, Any]] = []
        reads = [("/campaigns", "the campaign list")] if args.state != "archived" else []
        if args.state in ("archived", "all"):
            reads.append(("/campaigns/deleted", "the archived campaigns"))
        first: Envelope | None = None
        for path, what in reads:
            got = await ctx.read(path)
            if not got["success"]:
                return read_failed(got, what)
            first = first or got
            found += [c for c in got["data"] or [] if isinstance(c, dict)]
        assert first is not None
        envelope = first
        needle = args.name.casefold() if args.name else None
        matches = [
            c for c in found
            if (args.state in (None, "all") or entity_state(c.get("state")) == args.state)
            and (needle is None or needle in str(c.get("name", "")).casefold())
        ]  # fmt: skip
        start = args.offset or 0
        campaigns = matches[start : start + args.limit if args.limit else None]
        meta = {"total": len(matches)}
        if start + len(campaigns) < len(matches):
            meta["next_offset"] = start + len(campaigns)
    envelope["data"] = campaigns if args.full else table(campaigns, CAMPAIGN_COLUMNS)
    envelope["count"] = len(campaigns)
    if meta:
        envelope["meta"] = meta
    return envelope


def _create_body(args: CreateCampaign, tracker: Tracker) -> RequestParts:
    body: dict[str, Any] = args.model_dump(mode="json", exclude_none=True)
    # Keitaro's API does not generate aliases (the panel does): a missing alias is a 422.
    body.setdefault("alias", "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8)))
    if "group_id" in body:
        body["group_id"] = str(body["group_id"])  # a string on write, an integer on read
    return RequestParts(body=body)


class _HasCampaignId(Params):
    campaign_id: CampaignId


class UpdateCampaign(_CampaignFields, _HasCampaignId):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    alias: Alias | None = None


def _update_body(args: UpdateCampaign, tracker: Tracker) -> RequestParts:
    body: dict[str, Any] = args.model_dump(mode="json", exclude_none=True, exclude={"campaign_id"})
    if "group_id" in body:
        body["group_id"] = str(body["group_id"])
    return RequestParts(body=body)


class ArchiveCampaign(Params):
    """Keitaro's delete: it stops serving; restore_campaign undoes it."""

    campaign_id: CampaignId


class RestoreCampaign(Params):
    """It comes back active; ids: list_campaigns state=archived."""

    campaign_id: CampaignId


class SetCampaignState(Params):
    """Pause a campaign (it stops serving) or resume it."""

    campaign_id: CampaignId
    state: Literal["active", "paused"]


class CloneCampaign(Params):
    """With its flows; the copy gets a new id, alias and token."""

    campaign_id: CampaignId


class ListCampaignFlows(FullOption):
    """Its flows: filters, offer and landing shares; every setting: get_flow."""

    campaign_id: CampaignId


class UpdateCampaignCosts(Params):
    """Spreads the cost over the period's matching clicks, overwriting earlier costs; slow (bulk: update_costs)."""

    campaign_id: CampaignId
    start_date: DateTimeMinute
    """YYYY-MM-DD[ HH:MM]"""
    end_date: DateTimeMinute
    cost: float = Field(ge=0)
    """Total for the period."""
    currency: Currency
    timezone: Timezone = "UTC"
    """IANA, of the dates."""
    only_campaign_uniques: bool | None = None
    filters: CostFilters | None = None

    @model_validator(mode="after")
    def _ordered(self) -> UpdateCampaignCosts:
        check_date_order(self.start_date, self.end_date)
        return self


async def _costs_impact(ctx: CallContext, args: UpdateCampaignCosts) -> Impact | Envelope:
    """Count the clicks the cost will spread over, and the cost they carry now."""
    found = await traffic(
        ctx, start=args.start_date, end=args.end_date, timezone=args.timezone, campaign_ids=[args.campaign_id],
        filters=args.filters.model_dump(exclude_none=True) if args.filters else None,
        uniques=bool(args.only_campaign_uniques),
    )  # fmt: skip
    if not isinstance(found, Traffic):
        return found
    where = campaigns_text([args.campaign_id])
    question = (
        f"Overwrite the cost of {found.clicks:,} clicks of {where} "
        f"{period_text(args.start_date, args.end_date, args.timezone)}: {found.cost:,.2f} now (tracker currency), "
        f"{args.cost:,.2f} {args.currency} after. Earlier costs are not kept."
    )
    return Impact(
        question=question, scope={"campaign_id": args.campaign_id, "clicks": found.clicks},
        before={"cost": found.cost}, after={"cost": f"{args.cost} {args.currency}"},
        effects=("Keitaro spreads it over the clicks in a background job; reports show it within minutes.",),
    )  # fmt: skip


class CleanCampaignArchive(Params):
    """Permanently delete the whole archive; cannot be undone."""


async def _archive_impact(ctx: CallContext, args: CleanCampaignArchive) -> Impact | Envelope:
    """Count the archived campaigns the clean deletes for good."""
    envelope = await ctx.read("/campaigns/deleted")
    if not envelope["success"]:
        return read_failed(envelope, "the archived campaigns", nothing_changed=True)
    archived = [c for c in envelope["data"] if isinstance(c, dict)] if isinstance(envelope["data"], list) else []
    names = ", ".join(f"{c.get('id')} “{c.get('name')}”" for c in archived[:5])
    more = f" and {len(archived) - 5} more" if len(archived) > 5 else ""
    listed = f": {names}{more}" if archived else ""
    question = (
        f"Delete the {len(archived)} archived campaigns for good{listed}. They can no longer be restored. "
        "This cannot be undone."
    )
    return Impact(question=question, before={"archived_campaigns": len(archived)}, after={"archived_campaigns": 0})


_campaign = operation_factory("campaign", "campaigns_admin")


OPERATIONS = (
    # Archived campaigns are the n8n node's getDeleted: list_campaigns(state=archived) reads /campaigns/deleted.
    _campaign(name="list_campaigns", params=ListCampaigns, title="List campaigns", toolset="campaigns",
              read_only=True, handler=_list_campaigns,
              variants=(Variant("state", None, "getAll", "GET", "/campaigns"),
                        Variant("state", "archived", "getDeleted", "GET", "/campaigns/deleted"))),
    _campaign(name="get_campaign", operation="get", method="GET", path="/campaigns/{campaign_id}", params=GetCampaign,
              title="Get campaign", toolset="campaigns", read_only=True),
    _campaign(name="list_campaign_flows", operation="getAll", method="GET", path="/campaigns/{campaign_id}/streams",
              params=ListCampaignFlows, title="List campaign flows", toolset="campaigns", read_only=True,
              shape=list_shape(FLOW_COLUMNS),
              resource="stream"),
    _campaign(name="update_campaign", operation="update", method="PUT", path="/campaigns/{campaign_id}",
              params=UpdateCampaign, title="Update campaign", effect="update", toolset="campaigns", idempotent=True,
              build=_update_body),
    _campaign(name="set_campaign_state", variants=pause_resume("/campaigns/{campaign_id}"), params=SetCampaignState,
              title="Pause or resume campaign", effect="update", toolset="campaigns", idempotent=True),
    _campaign(name="create_campaign", operation="create", method="POST", path="/campaigns", params=CreateCampaign,
              title="Create campaign", effect="create", build=_create_body),
    _campaign(name="clone_campaign", operation="clone", method="POST", path="/campaigns/{campaign_id}/clone",
              params=CloneCampaign, title="Clone campaign", effect="create"),
    _campaign(name="archive_campaign", operation="delete", method="DELETE", path="/campaigns/{campaign_id}",
              params=ArchiveCampaign, title="Archive campaign", effect="archive", idempotent=True),
    _campaign(name="restore_campaign", operation="restore", method="POST", path="/campaigns/{campaign_id}/restore",
              params=RestoreCampaign, title="Restore campaign", effect="update", idempotent=True),
    _campaign(name="update_campaign_costs", operation="updateCosts", method="POST",
              path="/campaigns/{campaign_id}/update_costs", params=UpdateCampaignCosts, title="Update campaign costs",
              effect="replace", idempotent=True, impact=_costs_impact),
    _campaign(name="clean_campaign_archive", operation="cleanArchive", method="POST", path="/campaigns/clean_archive",
              params=CleanCampaignArchive, title="Empty campaign archive", effect="wipe", idempotent=True,
              impact=_archive_impact),
)  # fmt: skip
