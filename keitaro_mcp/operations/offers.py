"""Offers: list, read, edit; create, clone, archive, and the local offer's file editor."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from keitaro_mcp.operations._common import AffiliateNetworkId, Currency, GroupId, OfferId, Params, Timezone
from keitaro_mcp.operations._entity import ZipBase64, editor_operations, operation_factory, write_body
from keitaro_mcp.operations._lists import OFFER_COLUMNS, FullOption, list_shape

__all__ = ["OPERATIONS"]

OfferType = Literal["local", "external", "preloaded", "action"]
PayoutType = Literal["CPA", "CPC"]


class _HasOfferId(Params):
    offer_id: OfferId


class _OfferPayout(Params):
    """The everyday part of an offer: its name, URL, payout and geo."""

    name: str | None = Field(default=None, min_length=1)
    action_payload: str | None = None
    """URL with macros, e.g. ?sub1={subid}."""
    payout_value: float | None = Field(default=None, ge=0)
    payout_currency: Currency | None = None
    payout_type: PayoutType | None = None
    payout_auto: bool | None = None
    """Payout from the postback."""
    country: list[str] | None = None
    """Codes or names."""


class _OfferSettings(Params):
    """The rest of an offer's settings."""

    offer_type: OfferType | None = None
    """external: URL; local: zip."""
    action_type: str | None = Field(default=None, min_length=1)
    """e.g. http (list_flow_actions)."""
    group_id: GroupId | None = None
    affiliate_network_id: AffiliateNetworkId | None = None
    payout_upsell: bool | None = None
    """Accept rebills."""
    conversion_cap_enabled: bool | None = None
    daily_cap: int | None = Field(default=None, ge=0)
    """Conversions a day, then alternative_offer_id."""
    alternative_offer_id: OfferId | None = None
    conversion_timezone: Timezone | None = None
    """For the cap's day."""
    notes: str | None = None


class ListOffers(FullOption):
    """Offers: id, name, state, group, network, payout, countries; every setting: get_offer."""


class GetOffer(_HasOfferId):
    """With all its settings."""


class UpdateOffer(_OfferPayout, _HasOfferId):
    """Only the fields given change; other settings: update_offer_settings."""


class UpdateOfferSettings(_OfferSettings, _HasOfferId):
    """Only the fields given change; name, URL, payout, countries: update_offer."""


class CreateOffer(_OfferSettings, _OfferPayout):
    """External (URL in action_payload) or local (zip in archive)."""

    name: str = Field(min_length=1)
    archive: ZipBase64 | None = None
    """Base64 zip of a local offer."""


class CloneOffer(_HasOfferId):
    """The copy gets a new id."""


class ArchiveOffer(_HasOfferId):
    """Keitaro's delete for offers."""


_offer = operation_factory("offer", "offers_admin")

OPERATIONS = (
    _offer(name="list_offers", operation="getAll", method="GET", path="/offers", params=ListOffers, title="List offers",
           toolset="offers", read_only=True, shape=list_shape(OFFER_COLUMNS)),
    _offer(name="get_offer", operation="get", method="GET", path="/offers/{offer_id}", params=GetOffer,
           title="Get offer", toolset="offers", read_only=True),
    _offer(name="update_offer", operation="update", method="PUT", path="/offers/{offer_id}", params=UpdateOffer,
           title="Update offer", effect="update", toolset="offers", idempotent=True),
    _offer(name="update_offer_settings", operation="update", method="PUT", path="/offers/{offer_id}",
           params=UpdateOfferSettings, title="Update offer settings", effect="update", idempotent=True,
           build=write_body("offer_id", group_id_as_string=False)),
    _offer(name="create_offer", operation="create", method="POST", path="/offers", params=CreateOffer,
           title="Create offer", effect="create", build=write_body(group_id_as_string=False)),
    _offer(name="clone_offer", operation="clone", method="POST", path="/offers/{offer_id}/clone", params=CloneOffer,
           title="Clone offer", effect="create"),
    # Archiving an offer is DELETE /offers/{id}/archive; DELETE /offers/{id} is not in the API.
    _offer(name="archive_offer", operation="delete", method="DELETE", path="/offers/{offer_id}/archive",
           params=ArchiveOffer, title="Archive offer", effect="archive", idempotent=True),
    *editor_operations(_offer, noun="offer", plural="offers", id_field="offer_id", id_type=OfferId),
)  # fmt: skip
