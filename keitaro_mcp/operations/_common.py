"""Shared pieces of every params model: the base class and field types that name their discovery tool."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from keitaro_mcp.attribute_docs import apply_attribute_docstrings

__all__ = [
    "INT32_MAX",
    "AffiliateNetworkId",
    "CampaignId",
    "CostModel",
    "Currency",
    "DomainId",
    "EntityState",
    "FlowId",
    "GroupId",
    "Int32",
    "LandingId",
    "Limit",
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
    # allow_inf_nan=False: "1e999" would become infinity, which JSON cannot carry to the tracker.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True, allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        apply_attribute_docstrings(cls)


INT32_MAX = 2_147_483_647


def _fits_int32(value: int) -> int:
    # Keitaro's ids are 32-bit; a larger number can only be a mistake. Checked here rather than published as
    # `maximum` in every schema (tokens): the error names the field either way.
    if value > INT32_MAX:
        raise ValueError(f"must be at most {INT32_MAX}")
    return value


Int32 = AfterValidator(_fits_int32)


def _id(finder: str | None = None) -> object:
    # `x_id` comes from `list_xs`: the server's instructions say so once, instead of ~100 field descriptions
    # saying it again. Only ids whose list tool cannot be guessed from their name carry a hint.
    return Field(ge=1, description=f"From {finder}." if finder else None)


CampaignId = Annotated[int, _id(), Int32]
FlowId = Annotated[int, _id("list_campaign_flows"), Int32]
OfferId = Annotated[int, _id(), Int32]
LandingId = Annotated[int, _id(), Int32]
AffiliateNetworkId = Annotated[int, _id(), Int32]
TrafficSourceId = Annotated[int, _id(), Int32]
DomainId = Annotated[int, _id(), Int32]
GroupId = Annotated[int, _id(), Int32]
UserId = Annotated[int, _id(), Int32]

Offset = Annotated[int, Field(ge=0)]
Limit = Annotated[int, Field(ge=1, le=10_000)]

EntityState = Literal["active", "disabled"]
CostModel = Literal["CPC", "CPUC", "CPM"]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="e.g. USD.")]
