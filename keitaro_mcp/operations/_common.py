"""Shared pieces of every params model: the base class, and the field types operations have in common.

One concept, one type, one wire form: a currency is an upper-case ISO code wherever it is sent; a date-time of
Keitaro's cost and clean endpoints is `YYYY-MM-DD[ HH:MM[:SS]]`; a sort is `column` or `-column`; an id is a
positive 32-bit integer; a state is `active` or `paused` (as lists say it), sent as Keitaro's `active` or
`disabled`. Format checks live in validators rather than schema keywords: they cost no tokens in tools/list, and the
error names the field and the expected form.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, PlainSerializer

from keitaro_mcp.attribute_docs import apply_attribute_docstrings
from keitaro_mcp.periods import check_timezone, normalize_datetime
from keitaro_mcp.states import wire_state
from keitaro_mcp.strictness import StrictScalars

__all__ = [
    "INT32_MAX",
    "AffiliateNetworkId",
    "CampaignId",
    "CostModel",
    "CountryCode",
    "Currency",
    "DateTimeMinute",
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
    "PositiveId",
    "Sort",
    "Text",
    "Timezone",
    "TrafficSourceId",
    "UserId",
    "check_date_order",
    "format_check",
    "id_field",
    "sort_body",
]


class Params(StrictScalars):
    """Base for every tool's arguments: the model is the schema, the validator and the docs (booleans and numbers
    are not coerced into each other: keitaro_mcp.strictness)."""

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


def id_field(finder: str | None = None) -> object:
    """An id's constraints: positive (32-bit through `Int32`); `finder` names the tool that lists them when it cannot
    be guessed from the field name."""
    # `x_id` comes from `list_xs`: the server's instructions say so once, instead of ~100 field descriptions
    # saying it again. Only ids whose list tool cannot be guessed from their name carry a hint.
    return Field(ge=1, description=f"From {finder}." if finder else None)


PositiveId = Annotated[int, id_field(), Int32]
"""Any Keitaro id: positive and 32-bit."""
CampaignId = PositiveId
FlowId = Annotated[int, id_field("list_campaign_flows"), Int32]
OfferId = PositiveId
LandingId = PositiveId
AffiliateNetworkId = PositiveId
TrafficSourceId = PositiveId
DomainId = PositiveId
GroupId = PositiveId
UserId = PositiveId

Offset = Annotated[int, Field(ge=0)]
Limit = Annotated[int, Field(ge=1, le=10_000)]

EntityState = Annotated[Literal["active", "paused"], PlainSerializer(wire_state, return_type=str)]
"""A state to set, in the words lists answer with; `paused` is sent as Keitaro's `disabled`."""
CostModel = Literal["CPC", "CPUC", "CPM"]


def format_check(regex: str, what: str) -> AfterValidator:
    """A format check that costs no schema tokens (the field name says what is expected; the error says more)."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"expected {what}")
        return value

    return AfterValidator(check)


def _not_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_not_empty)]
Currency = Annotated[
    str, format_check(r"^[A-Za-z]{3}$", "a 3-letter currency code, e.g. USD"), AfterValidator(str.upper)
]
"""ISO 4217 code, sent upper-case whatever case it was given in (Keitaro converts it to the tracker's currency)."""
CountryCode = Annotated[str, format_check(r"^[A-Za-z]{2}$", "a 2-letter country code"), AfterValidator(str.upper)]
DateTimeMinute = Annotated[str, AfterValidator(normalize_datetime)]
"""`YYYY-MM-DD[ HH:MM[:SS]]` (a `T` separator is accepted), a real calendar date: Keitaro's cost and clean dates."""


def check_date_order(start: str, end: str) -> None:
    """ValueError when the end date (of two DateTimeMinute values) is before the start date: a swapped range."""
    if start[:10] > end[:10]:
        raise ValueError(f"end_date: {end} is before start_date {start}")


Timezone = Annotated[str, AfterValidator(check_timezone)]
"""An IANA name (Europe/Berlin); checked here so a typo never reaches the tracker."""
Sort = Annotated[str, format_check(r"^-?[a-z][a-z0-9_]*$", "a column name, or -name for descending")]
"""`column` ascending, `-column` descending; sent as Keitaro's `[{name, order}]` by `sort_body`."""


def sort_body(sort: str) -> list[dict[str, str]]:
    """`-name` -> Keitaro's `[{"name": name, "order": "DESC"}]`."""
    return [{"name": sort.lstrip("-"), "order": "DESC" if sort.startswith("-") else "ASC"}]
