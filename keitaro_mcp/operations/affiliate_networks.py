"""Affiliate networks: list, read, create, edit, clone, archive."""

from __future__ import annotations

from pydantic import Field

from keitaro_mcp.operations._common import AffiliateNetworkId, Params
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations._lists import NETWORK_COLUMNS, FullOption, list_shape

__all__ = ["OPERATIONS"]


class _HasAffiliateNetworkId(Params):
    affiliate_network_id: AffiliateNetworkId


class _AffiliateNetworkFields(Params):
    name: str | None = Field(default=None, min_length=1)
    postback_url: str | None = None
    offer_param: str | None = None
    """e.g. sub1={subid}"""
    notes: str | None = None


class ListAffiliateNetworks(FullOption):
    """List affiliate networks."""


class GetAffiliateNetwork(_HasAffiliateNetworkId):
    """Get one affiliate network."""


class CreateAffiliateNetwork(_AffiliateNetworkFields):
    """Create an affiliate network."""

    name: str = Field(min_length=1)


class UpdateAffiliateNetwork(_AffiliateNetworkFields, _HasAffiliateNetworkId):
    """Only the fields given change."""


class CloneAffiliateNetwork(_HasAffiliateNetworkId):
    """The copy gets a new id."""


class ArchiveAffiliateNetwork(_HasAffiliateNetworkId):
    """Keitaro's delete for networks."""


_network = operation_factory("affiliate_network", "affiliate_networks")
_ONE = "/affiliate_networks/{affiliate_network_id}"

OPERATIONS = (
    _network(name="list_affiliate_networks", operation="getAll", method="GET", path="/affiliate_networks",
             params=ListAffiliateNetworks, title="List affiliate networks", read_only=True,
             shape=list_shape(NETWORK_COLUMNS)),
    _network(name="get_affiliate_network", operation="get", method="GET", path=_ONE, params=GetAffiliateNetwork,
             title="Get affiliate network", read_only=True),
    _network(name="create_affiliate_network", operation="create", method="POST", path="/affiliate_networks",
             params=CreateAffiliateNetwork, title="Create affiliate network", effect="create"),
    _network(name="update_affiliate_network", operation="update", method="PUT", path=_ONE,
             params=UpdateAffiliateNetwork, title="Update affiliate network", effect="update", idempotent=True),
    _network(name="clone_affiliate_network", operation="clone", method="POST", path=f"{_ONE}/clone",
             params=CloneAffiliateNetwork, title="Clone affiliate network", effect="create"),
    _network(name="archive_affiliate_network", operation="delete", method="DELETE", path=_ONE,
             params=ArchiveAffiliateNetwork, title="Archive affiliate network", effect="archive", idempotent=True),
)  # fmt: skip
