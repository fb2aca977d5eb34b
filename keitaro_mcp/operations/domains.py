"""Domains: list, read, create, edit, archive/restore, DNS/SSL re-check."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from keitaro_mcp.operations._common import DomainId, Int32, Params
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations._lists import DOMAIN_COLUMNS, FullOption, list_shape
from keitaro_mcp.registry import Shaped, Variant

__all__ = ["OPERATIONS"]


class ListDomains(FullOption):
    """With SSL and DNS status."""

    state: Literal["archived"] | None = None
    """Default: not archived."""


class GetDomain(Params):
    """Get one domain."""

    domain_id: DomainId


class _DomainFields(Params):
    default_campaign_id: Annotated[int, Field(ge=0), Int32] | None = None
    """Served at the root; 0 for none."""
    catch_not_found: bool | None = None
    """Unknown paths to the default campaign."""
    notes: str | None = None
    ssl_redirect: bool | None = None
    """Force HTTP to HTTPS."""


class CreateDomain(_DomainFields):
    """Point its DNS to the tracker first."""

    name: str = Field(min_length=1)
    """e.g. go.example.com."""
    is_ssl: bool = False
    """Serve campaigns over HTTPS."""
    allow_indexing: bool | None = None


def _single(data: Any, args: Any) -> Shaped:
    # The spec declares POST /domains as array<Domain>; one created domain comes back as the object itself.
    if isinstance(data, list) and len(data) == 1:
        return Shaped(data[0])
    return Shaped(data)


class UpdateDomain(_DomainFields):
    """Only the fields given change."""

    domain_id: DomainId
    name: str | None = None
    is_ssl: bool | None = None
    """Serve campaigns over HTTPS."""


class ArchiveDomain(Params):
    """Keitaro's delete; restore_domain undoes it."""

    domain_id: DomainId


class RestoreDomain(Params):
    """Ids: list_domains state=archived."""

    domain_id: DomainId


class CheckDomain(Params):
    """Re-run its DNS and SSL checks now."""

    domain_id: DomainId


_domain = operation_factory("domain", "domains")


OPERATIONS = (
    # Archived domains are the n8n node's getDeleted: list_domains(state=archived) reads /domains/deleted.
    _domain(name="list_domains", params=ListDomains, title="List domains", read_only=True,
            shape=list_shape(DOMAIN_COLUMNS),
            variants=(Variant("state", None, "getAll", "GET", "/domains"),
                      Variant("state", "archived", "getDeleted", "GET", "/domains/deleted"))),
    _domain(name="get_domain", operation="get", method="GET", path="/domains/{domain_id}", params=GetDomain,
            title="Get domain", read_only=True),
    _domain(name="create_domain", operation="create", method="POST", path="/domains", params=CreateDomain,
            title="Create domain", effect="create", shape=_single),
    _domain(name="update_domain", operation="update", method="PUT", path="/domains/{domain_id}", params=UpdateDomain,
            title="Update domain", effect="update", idempotent=True),
    _domain(name="archive_domain", operation="delete", method="DELETE", path="/domains/{domain_id}",
            params=ArchiveDomain, title="Archive domain", effect="archive", idempotent=True),
    _domain(name="restore_domain", operation="restore", method="POST", path="/domains/{domain_id}/restore",
            params=RestoreDomain, title="Restore domain", effect="update", idempotent=True),
    # "Update Domain Status" in the spec: it re-runs the checks and stores the result, so not a read.
    _domain(name="check_domain", operation="check", method="POST", path="/domains/{domain_id}/check",
            params=CheckDomain, title="Check domain", effect="action", idempotent=True),
)  # fmt: skip
