"""Shared pieces of every params model: the base class and field types that name their discovery tool."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from keitaro_mcp.attribute_docs import apply_attribute_docstrings

__all__ = [
    "AffiliateNetworkId",
    "CampaignId",
    "CostModel",
    "Currency",
    "DomainId",
    "EntityState",
    "FlowId",
    "GroupId",
    "LandingId",
    "Limit",
    "NoParams",
    "OfferId",
    "Offset",
    "Params",
    "TrafficSourceId",
    "UserId",
]


class Params(BaseModel):
    """Base for every tool's arguments: the model is the schema, the validator and the docs."""

    # Attribute docstrings are applied by keitaro_mcp.attribute_docs (pydantic's own reader walks the stack per
    # class, the largest start-up cost); schemas are built on first use, so start-up builds only listed tools.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        apply_attribute_docstrings(cls)


class NoParams(Params):
    """Takes no arguments."""


def _id(what: str, finder: str) -> object:
    return Field(ge=1, description=f"From {finder}.")


CampaignId = Annotated[int, _id("Campaign", "list_campaigns")]
FlowId = Annotated[int, _id("Flow (stream)", "list_campaign_flows")]
OfferId = Annotated[int, _id("Offer", "list_offers")]
LandingId = Annotated[int, _id("Landing page", "list_landing_pages")]
AffiliateNetworkId = Annotated[int, _id("Affiliate network", "list_affiliate_networks")]
TrafficSourceId = Annotated[int, _id("Traffic source", "list_traffic_sources")]
DomainId = Annotated[int, _id("Domain", "list_domains")]
GroupId = Annotated[int, _id("Group", "list_groups")]
UserId = Annotated[int, _id("User", "list_users")]

Offset = Annotated[int, Field(ge=0)]
Limit = Annotated[int, Field(ge=1, le=10_000)]

EntityState = Literal["active", "disabled"]
CostModel = Literal["CPC", "CPUC", "CPM"]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="e.g. USD.")]
