"""Third-party integrations: Facebook ad accounts (and their campaigns), AVScan key, IMKLO URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field

from keitaro_mcp.operations._common import CampaignId, Int32, Params, id_field
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.registry import RequestParts, Shaped

if TYPE_CHECKING:
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS"]

IntegrationId = Annotated[int, id_field("list_facebook_integrations"), Int32]


def _unwrap(data: Any, args: Any) -> Shaped:
    # Facebook answers are the only enveloped ones in the Admin API: {"data": [...]} or {"data": {...}}.
    if isinstance(data, dict) and set(data) == {"data"}:
        return Shaped(data["data"])
    return Shaped(data)


class GetAvscanKey(Params):
    """Get the AVScan API key."""


class UpdateAvscanKey(Params):
    """Set the AVScan API key."""

    avscan_key: str = Field(min_length=1)


class GetImkloUrl(Params):
    """Get the IMKLO API URL."""


class UpdateImkloUrl(Params):
    """Set the IMKLO API URL."""

    imklo_api_url: str = Field(min_length=1)


def _proxy_url(value: str) -> str:
    if value:
        url = urlsplit(value)
        try:
            port = url.port
        except ValueError:
            port = None
        if url.scheme not in ("http", "https", "socks5") or not url.hostname or port is None:
            raise ValueError("use protocol://[login:password@]host:port with http, https or socks5, or ''")
    return value


ProxyUrl = Annotated[
    str,
    AfterValidator(_proxy_url),
    Field(description="protocol://[user:pass@]host:port; '' off."),
]


def _facebook_body(args: CreateFacebookIntegration | UpdateFacebookIntegration, tracker: Tracker) -> RequestParts:
    body: dict[str, Any] = args.model_dump(mode="json", exclude_none=True, exclude={"integration_id", "proxy"})
    # Keitaro's form is proxy_enabled + proxy {protocol, address, port, login, password}: one URL says it all.
    if args.proxy is not None:
        body["proxy_enabled"] = bool(args.proxy)
        if args.proxy:
            url = urlsplit(args.proxy)
            body["proxy"] = {
                "protocol": url.scheme,
                "address": url.hostname,
                "port": url.port,
                "login": unquote(url.username or ""),
                "password": unquote(url.password or ""),
            }
    return RequestParts(body=body)


class ListFacebookIntegrations(Params):
    """Facebook ad accounts that import ad costs."""


class GetFacebookIntegration(Params):
    """With its last error."""

    integration_id: IntegrationId


class _FacebookFields(Params):
    proxy: ProxyUrl | None = None


class CreateFacebookIntegration(_FacebookFields):
    """Connect a Facebook ad account; then assign it to campaigns."""

    name: str = Field(min_length=1)
    ad_account_id: str = Field(min_length=1)
    """e.g. act_123."""
    token: str = Field(min_length=1)
    """Access token."""


class UpdateFacebookIntegration(_FacebookFields):
    """Only the fields given change."""

    integration_id: IntegrationId
    name: str | None = None
    ad_account_id: str | None = None
    token: str | None = None


class DeleteFacebookIntegration(Params):
    """Permanent."""

    integration_id: IntegrationId


class ListFacebookIntegrationCampaigns(Params):
    """Campaigns it is assigned to."""

    integration_id: IntegrationId


class AssignFacebookIntegrationCampaign(Params):
    """It imports costs into the campaign."""

    integration_id: IntegrationId
    campaign_id: CampaignId


class UnassignFacebookIntegrationCampaign(Params):
    """Remove a campaign from a Facebook integration."""

    integration_id: IntegrationId
    campaign_id: CampaignId


def _campaign_body(args: UnassignFacebookIntegrationCampaign, tracker: Tracker) -> RequestParts:
    # DELETE with a JSON body: the default split would put campaign_id in the query string.
    return RequestParts(body={"campaign_id": args.campaign_id})


_integration = operation_factory("integration", "integrations")


_FB = "/integrations/facebook"
OPERATIONS = (
    _integration(name="get_avscan_key", operation="getAvscan", method="GET", path="/integrations/avscan",
                 params=GetAvscanKey, title="Get AVScan key", read_only=True),
    # The key and URL travel in the query string even on PUT.
    _integration(name="update_avscan_key", operation="updateAvscan", method="PUT", path="/integrations/avscan",
                 params=UpdateAvscanKey, title="Update AVScan key", effect="update", idempotent=True,
                 query=frozenset({"avscan_key"})),
    _integration(name="get_imklo_url", operation="getImklo", method="GET", path="/integrations/imklo",
                 params=GetImkloUrl, title="Get IMKLO URL", read_only=True),
    _integration(name="update_imklo_url", operation="updateImklo", method="PUT", path="/integrations/imklo",
                 params=UpdateImkloUrl, title="Update IMKLO URL", effect="update", idempotent=True,
                 query=frozenset({"imklo_api_url"})),
    _integration(name="list_facebook_integrations", operation="getAllFacebook", method="GET", path=_FB,
                 params=ListFacebookIntegrations, title="List Facebook integrations", read_only=True, shape=_unwrap),
    _integration(name="get_facebook_integration", operation="getFacebook", method="GET", path=_FB + "/{integration_id}",
                 params=GetFacebookIntegration, title="Get Facebook integration", read_only=True, shape=_unwrap),
    _integration(name="create_facebook_integration", operation="createFacebook", method="POST", path=_FB,
                 params=CreateFacebookIntegration, title="Create Facebook integration", effect="create", shape=_unwrap,
                 build=_facebook_body),
    _integration(name="update_facebook_integration", operation="updateFacebook", method="PUT",
                 path=_FB + "/{integration_id}", params=UpdateFacebookIntegration,
                 title="Update Facebook integration", effect="update",
                 idempotent=True, shape=_unwrap, build=_facebook_body),
    _integration(name="delete_facebook_integration", operation="deleteFacebook", method="DELETE",
                 path=_FB + "/{integration_id}", params=DeleteFacebookIntegration,
                 title="Delete Facebook integration", effect="delete", idempotent=True),
    _integration(name="list_facebook_integration_campaigns", operation="getFacebookCampaigns", method="GET",
                 path=_FB + "/{integration_id}/campaign", params=ListFacebookIntegrationCampaigns,
                 title="List FB integration campaigns", read_only=True),
    _integration(name="assign_facebook_integration_campaign", operation="assignFacebookCampaign", method="POST",
                 path=_FB + "/{integration_id}/campaign", params=AssignFacebookIntegrationCampaign,
                 title="Assign FB integration", effect="create", idempotent=True),
    _integration(name="unassign_facebook_integration_campaign", operation="unassignFacebookCampaign", method="DELETE",
                 path=_FB + "/{integration_id}/campaign", params=UnassignFacebookIntegrationCampaign,
                 title="Unassign FB integration", effect="remove", idempotent=True, build=_campaign_body),
)  # fmt: skip
