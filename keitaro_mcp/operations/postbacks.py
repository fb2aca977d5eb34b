"""A campaign's S2S postbacks (tracker → traffic source): list, get, create, update, delete.

Keitaro has no postback endpoint: they are the `postbacks` array of the campaign, and `PUT /campaigns/{id}` replaces
arrays whole. Each write reads the campaign, changes one entry and sends the full array back, so the other
postbacks are kept. Keitaro has no version check: two writers at once would overwrite each other (8 concurrent
creates saved 4). In this process the executor runs writes to one campaign one at a time; across processes (several
replicas, the panel) nothing can, so every write reads the campaign back and answers `conflict`, not success, when
its change is not there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from keitaro_mcp.envelope import Envelope, read_failed, read_problem
from keitaro_mcp.operations._common import CampaignId, Params, PositiveId
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.operations.campaigns import ConversionStatus, S2SPostback
from keitaro_mcp.registry import Shaped

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext

__all__ = ["OPERATIONS"]


def _postbacks(campaign: Any) -> list[dict[str, Any]]:
    items = campaign.get("postbacks") if isinstance(campaign, dict) else None
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def _find(items: list[dict[str, Any]], postback_id: int) -> dict[str, Any] | None:
    return next((p for p in items if str(p.get("id")) == str(postback_id)), None)


async def _read(ctx: CallContext, campaign_id: int) -> Envelope:
    return await ctx.read(f"/campaigns/{campaign_id}")


async def _write(ctx: CallContext, campaign_id: int, postbacks: list[dict[str, Any]]) -> Envelope:
    return await ctx.send("PUT", f"/campaigns/{campaign_id}", body={"postbacks": postbacks}, retry=ctx.op.idempotent)


async def _verified(
    ctx: CallContext, campaign_id: int, written: Envelope, holds: Callable[[list[dict[str, Any]]], bool], what: str
) -> Envelope:
    """The write's envelope when the campaign, read back, shows its change; `conflict` when another writer's array
    replaced it in between (a read that fails leaves the write's answer, with a note)."""
    check = await _read(ctx, campaign_id)
    if not check["success"]:
        note = read_problem(check, f"campaign {campaign_id} back to check the write")
        written.setdefault("meta", {}).setdefault("notes", []).append(note)
        return written
    if holds(_postbacks(check["data"])):
        return written
    message = (
        f"{what} was written, but campaign {campaign_id} read back without it: another writer replaced its "
        "postbacks at the same moment (Keitaro has no version check)"
    )
    return ctx.fail("conflict", message, request=written["request"])


def _same(entry: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """`entry` has every wanted value (statuses in any order)."""
    for key, value in wanted.items():
        got = entry.get(key)
        if key == "statuses" and isinstance(got, list) and isinstance(value, list):
            if sorted(map(str, got)) != sorted(map(str, value)):
                return False
        elif got != value:
            return False
    return True


Located = tuple[Envelope, list[dict[str, Any]], dict[str, Any]]


async def _locate(ctx: CallContext, campaign_id: int, postback_id: int) -> Envelope | Located:
    """Read the campaign and find one postback: (the read, all postbacks, that one), or the envelope to return
    (the read failed, or the campaign has no such postback: not_found)."""
    envelope = await _read(ctx, campaign_id)
    if not envelope["success"]:
        return read_failed(envelope, f"campaign {campaign_id}", nothing_changed=not ctx.op.read_only)
    items = _postbacks(envelope["data"])
    found = _find(items, postback_id)
    if found is None:
        message = f"Campaign {campaign_id} has no postback {postback_id}"
        return ctx.fail("not_found", message, request=envelope["request"])
    return envelope, items, found


class ListCampaignPostbacks(Params):
    """S2S postbacks: sent to the traffic source on conversions."""

    campaign_id: CampaignId


def _shape_list(data: Any, args: Any) -> Shaped:
    return Shaped(_postbacks(data))


class GetCampaignPostback(Params):
    """One S2S postback of a campaign."""

    campaign_id: CampaignId
    postback_id: PositiveId


async def _get(ctx: CallContext, args: GetCampaignPostback) -> Envelope:
    """GET /campaigns/{id}, the entry of its postbacks array."""
    located = await _locate(ctx, args.campaign_id, args.postback_id)
    if not isinstance(located, tuple):
        return located
    envelope, _, found = located
    envelope["data"] = found
    return envelope


class CreateCampaignPostback(Params):
    """Adds an S2S postback; the others are kept."""

    campaign_id: CampaignId
    url: str = Field(min_length=1)
    """With macros, e.g. {subid}, {status}."""
    method: Literal["GET", "POST"] = "GET"
    statuses: list[ConversionStatus] = Field(default_factory=lambda: list[ConversionStatus](["sale"]), min_length=1)


async def _create(ctx: CallContext, args: CreateCampaignPostback) -> Envelope:
    """GET /campaigns/{id}, PUT /campaigns/{id} with the postbacks array plus the new one."""
    envelope = await _read(ctx, args.campaign_id)
    if not envelope["success"]:
        return read_failed(envelope, f"campaign {args.campaign_id}", nothing_changed=True)
    before = _postbacks(envelope["data"])
    new = S2SPostback(url=args.url, method=args.method, statuses=args.statuses).model_dump(
        mode="json", exclude_none=True
    )
    envelope = await _write(ctx, args.campaign_id, [*before, new])
    if not envelope["success"]:
        return envelope
    known = {str(p.get("id")) for p in before}
    after = _postbacks(envelope["data"])
    created = [p for p in after if str(p.get("id")) not in known]
    envelope["data"] = created[-1] if created else new

    def holds(now: list[dict[str, Any]]) -> bool:
        return any(str(p.get("id")) not in known and _same(p, new) for p in now)

    return await _verified(ctx, args.campaign_id, envelope, holds, "The new postback")


class UpdateCampaignPostback(Params):
    """Only the fields given change; other postbacks are kept."""

    campaign_id: CampaignId
    postback_id: PositiveId
    url: str | None = Field(default=None, min_length=1)
    method: Literal["GET", "POST"] | None = None
    statuses: list[ConversionStatus] | None = Field(default=None, min_length=1)


async def _update(ctx: CallContext, args: UpdateCampaignPostback) -> Envelope:
    """GET /campaigns/{id}, PUT /campaigns/{id} with the postbacks array, one entry changed."""
    located = await _locate(ctx, args.campaign_id, args.postback_id)
    if not isinstance(located, tuple):
        return located
    _, items, found = located
    changes = args.model_dump(mode="json", exclude_none=True, include={"url", "method", "statuses"})
    changed = {**found, **changes}
    envelope = await _write(ctx, args.campaign_id, [changed if p is found else p for p in items])
    if not envelope["success"]:
        return envelope
    envelope["data"] = _find(_postbacks(envelope["data"]), args.postback_id) or changed

    def holds(now: list[dict[str, Any]]) -> bool:
        entry = _find(now, args.postback_id)
        return entry is not None and _same(entry, changes)

    return await _verified(ctx, args.campaign_id, envelope, holds, f"The change of postback {args.postback_id}")


class DeleteCampaignPostback(Params):
    """The other postbacks are kept."""

    campaign_id: CampaignId
    postback_id: PositiveId


async def _delete(ctx: CallContext, args: DeleteCampaignPostback) -> Envelope:
    """GET /campaigns/{id}, PUT /campaigns/{id} with the postbacks array minus one."""
    located = await _locate(ctx, args.campaign_id, args.postback_id)
    if not isinstance(located, tuple):
        return located
    _, items, found = located
    envelope = await _write(ctx, args.campaign_id, [p for p in items if p is not found])
    if not envelope["success"]:
        return envelope
    envelope["data"] = {"deleted": found, "postbacks": _postbacks(envelope["data"])}

    def holds(now: list[dict[str, Any]]) -> bool:
        return _find(now, args.postback_id) is None

    return await _verified(ctx, args.campaign_id, envelope, holds, f"The deletion of postback {args.postback_id}")


# Every postback tool reads and writes the campaign: /campaigns/{campaign_id}.
_postback = operation_factory("postback", "campaigns_admin")
_CAMPAIGN = "/campaigns/{campaign_id}"


OPERATIONS = (
    _postback(name="list_campaign_postbacks", operation="getAll", method="GET", path=_CAMPAIGN,
              params=ListCampaignPostbacks, title="List campaign postbacks", read_only=True, shape=_shape_list),
    _postback(name="get_campaign_postback", operation="get", method="GET", path=_CAMPAIGN, params=GetCampaignPostback,
              title="Get campaign postback", read_only=True, handler=_get),
    # Read-modify-write: not retried blindly, except where repeating gives the same result (update, delete). Each
    # one sends the whole postbacks array back, so even the create overwrites (an edit made meanwhile is lost).
    _postback(name="create_campaign_postback", operation="create", method="PUT", path=_CAMPAIGN,
              params=CreateCampaignPostback, title="Create campaign postback", effect="update", handler=_create),
    _postback(name="update_campaign_postback", operation="update", method="PUT", path=_CAMPAIGN,
              params=UpdateCampaignPostback, title="Update campaign postback", effect="update", idempotent=True,
              handler=_update),
    _postback(name="delete_campaign_postback", operation="delete", method="PUT", path=_CAMPAIGN,
              params=DeleteCampaignPostback, title="Delete campaign postback", effect="remove", idempotent=True,
              handler=_delete),
)  # fmt: skip
