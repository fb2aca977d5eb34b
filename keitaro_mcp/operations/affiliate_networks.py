"""Affiliate networks: list, read, create, edit, clone, archive."""

from __future__ import annotations

from pydantic import Field

from keitaro_mcp.operations._common import AffiliateNetworkId, Params
from keitaro_mcp.operations._entity import operation_factory

__all__ = ["OPERATIONS"]


class _HasAffiliateNetworkId(Params):
    affiliate_network_id: AffiliateNetworkId


class _AffiliateNetworkFields(Params):
    name: str | None = Field(default=None, min_length=1)
    postback_url: str | None = None
    offer_param: str | None = None
    """e.g. sub1={subid}"""
    notes: str | None = None


class ListAffiliateNetworks(Params):
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
    _network("list_affiliate_networks", "getAll", "GET", "/affiliate_networks", ListAffiliateNetworks,
             "List affiliate networks", read_only=True),
    _network("get_affiliate_network", "get", "GET", _ONE, GetAffiliateNetwork, "Get affiliate network",
             read_only=True),
    _network("create_affiliate_network", "create", "POST", "/affiliate_networks", CreateAffiliateNetwork,
             "Create affiliate network"),
    _network("update_affiliate_network", "update", "PUT", _ONE, UpdateAffiliateNetwork, "Update affiliate network",
             idempotent=True),
    _network("clone_affiliate_network", "clone", "POST", f"{_ONE}/clone", CloneAffiliateNetwork,
             "Clone affiliate network"),
    _network("archive_affiliate_network", "delete", "DELETE", _ONE, ArchiveAffiliateNetwork,
             "Archive affiliate network", destructive=True, idempotent=True),
)  # fmt: skip
