"""The tracker's own IP bot list (Maintenance > Settings > Bots): read, replace, clear, add, exclude."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field

from keitaro_mcp.envelope import Envelope, read_failed
from keitaro_mcp.operations._common import Params
from keitaro_mcp.operations._entity import operation_factory
from keitaro_mcp.registry import Impact, RequestParts, Shaped

if TYPE_CHECKING:
    from keitaro_mcp.context import CallContext
    from keitaro_mcp.tracker import Tracker

__all__ = ["OPERATIONS"]


def _ip_or_cidr(value: str) -> str:
    # Keitaro's docs: "You can write IPs and CIDR. Other formats are not supported." (no a-b ranges).
    value = value.strip()
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not an IPv4/IPv6 address or CIDR network") from None
    return value


BotIps = Annotated[
    list[Annotated[str, AfterValidator(_ip_or_cidr)]],
    Field(min_length=1, description="IPs or CIDR networks."),
]


def _value_body(args: AddBotListIps | ExcludeBotListIps | ReplaceBotList, tracker: Tracker) -> RequestParts:
    # Keitaro takes the list as one string, one entry per line.
    return RequestParts(body={"value": "\n".join(dict.fromkeys(args.ips))})


def _entries(data: Any, args: Any) -> Shaped:
    # GET /botlist answers {"value": "<entries separated by newlines or spaces>"}: a list counts.
    if isinstance(data, dict) and isinstance(data.get("value"), str):
        return Shaped(data["value"].split())
    return Shaped(data)


class GetBotList(Params):
    """The tracker's own bot IPs and networks."""


class ReplaceBotList(Params):
    """Entries not given are removed."""

    ips: BotIps


class ClearBotList(Params):
    """Remove every entry."""


async def _current(ctx: CallContext) -> list[str] | Envelope:
    envelope = await ctx.read("/botlist")
    if not envelope["success"]:
        return read_failed(envelope, "the bot list", nothing_changed=True)
    entries = _entries(envelope["data"], None).data
    return [str(e) for e in entries] if isinstance(entries, list) else []


def _sample(entries: list[str]) -> str:
    return ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")


async def _replace_impact(ctx: CallContext, args: ReplaceBotList) -> Impact | Envelope:
    """Read the list now: what the new one removes and adds."""
    now = await _current(ctx)
    if not isinstance(now, list):
        return now
    new = list(dict.fromkeys(args.ips))
    removed = [e for e in now if e not in new]
    added = [e for e in new if e not in now]
    gone = f": {_sample(removed)}" if removed else ""
    question = (
        f"Replace the tracker's bot list of {len(now)} entries with {len(new)}: {len(removed)} removed{gone}; "
        f"{len(added)} added. Removed entries are not kept anywhere."
    )
    return Impact(
        question=question, scope={"removed": removed[:20], "added": added[:20]},
        before={"entries": len(now)}, after={"entries": len(new)},
    )  # fmt: skip


async def _clear_impact(ctx: CallContext, args: ClearBotList) -> Impact | Envelope:
    """Read the list now: every entry goes."""
    now = await _current(ctx)
    if not isinstance(now, list):
        return now
    listed = f" ({_sample(now)})" if now else ""
    question = f"Remove all {len(now)} entries of the tracker's bot list{listed}. This cannot be undone."
    return Impact(question=question, scope={"removed": now[:20]}, before={"entries": len(now)}, after={"entries": 0})


class AddBotListIps(Params):
    """Add IPs or networks to the bot list."""

    ips: BotIps


class ExcludeBotListIps(Params):
    """Remove entries from the bot list."""

    ips: BotIps


# Every bot list call leaves the same list when repeated: all idempotent.
_bot = operation_factory("bot", "bot_list")


OPERATIONS = (
    _bot(name="get_bot_list", operation="get", method="GET", path="/botlist", params=GetBotList, title="Get bot list",
         read_only=True, shape=_entries),
    _bot(name="add_bot_list_ips", operation="add", method="POST", path="/botlist/add", params=AddBotListIps,
         title="Add IPs to bot list", effect="create", idempotent=True, build=_value_body),
    _bot(name="exclude_bot_list_ips", operation="exclude", method="POST", path="/botlist/exclude",
         params=ExcludeBotListIps, title="Remove IPs from bot list", effect="remove", idempotent=True,
         build=_value_body),
    _bot(name="replace_bot_list", operation="replace", method="PUT", path="/botlist", params=ReplaceBotList,
         title="Replace bot list", effect="replace", idempotent=True, build=_value_body, impact=_replace_impact),
    _bot(name="clear_bot_list", operation="clear", method="DELETE", path="/botlist", params=ClearBotList,
         title="Clear bot list", effect="wipe", idempotent=True, impact=_clear_impact),
)  # fmt: skip
