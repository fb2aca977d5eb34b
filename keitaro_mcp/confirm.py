"""A person confirms what cannot be undone: the server asks through MCP elicitation before anything is sent.

The question says exactly what will be lost, counted with a read first ("Delete all clicks and conversions of
campaign 7 from 2026-11-01 to 2026-11-30 (UTC): 1,234 clicks, 56 conversions. This cannot be undone."). The asking
is the SDK's era-neutral resolver (`Resolve`/`Elicit`, mcp.server.mcpserver.resolve), run from our low-level
server: on a 2026-07-28 connection the call answers with an input-required result and resumes when the client
sends the person's answer back (the multi-round-trip flow; the round's state is sealed by the SDK's
`RequestStateBoundary`, so a client cannot forge an answer the person never gave); on an older connection the
server sends an `elicitation/create` request mid-call. The SDK pins each answer to the exact question shown: if
the counts change between the rounds, the person is asked again.

Only the person's answer counts. A client that cannot ask (no form elicitation) gets `needs_confirmation` and
nothing is sent, unless the operator started the server with KEITARO_CONFIRM=off; a declined or cancelled
question gets `declined`. No argument the model sets can stand in for either.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import (
    Elicit,
    Resolve,
    build_resolver_plans,
    find_resolved_parameters,
    resolve_arguments,
)
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolRequestParams, InputRequiredResult
from pydantic import BaseModel, Field

from keitaro_mcp.envelope import Envelope
from keitaro_mcp.registry import Impact, Operation

if TYPE_CHECKING:
    from mcp.server import Server, ServerRequestContext

    from keitaro_mcp.context import ProgressFn
    from keitaro_mcp.executor import Executor
    from keitaro_mcp.tracker import Tracker

__all__ = ["Answer", "Confirmation", "ask_person", "confirmed_call", "protect_request_state"]

logger = logging.getLogger("keitaro_mcp")

Answer = Literal["accept", "decline", "cancel", "unavailable"]


class Confirmation(BaseModel):
    """The form a person answers."""

    confirm: bool = Field(title="Do it", description="Tick to confirm; it cannot be undone.")


def ask(question: str) -> Elicit[Confirmation]:
    """The resolver: ask the person the question (the SDK sends it the way the connection's era wants)."""
    return Elicit(question, Confirmation)


async def _answered(answer: Annotated[ElicitationResult[Confirmation], Resolve(ask)]) -> None:
    """Never called: its signature tells the SDK what to resolve (the person's whole answer, not only an accept)."""


_RESOLVED = find_resolved_parameters(_answered)
_PLANS = build_resolver_plans(_RESOLVED, {"question"})


async def ask_person(
    ctx: ServerRequestContext[Any], params: CallToolRequestParams, question: str
) -> Answer | InputRequiredResult:
    """The person's answer, an input-required result to send meanwhile, or `unavailable` when the client cannot ask."""
    context: Context[Any, Any] = Context(request_context=ctx, input_params=params)
    try:
        resolved = await resolve_arguments(_RESOLVED, _PLANS, {"question": question}, context)
    except MCPError as exc:  # the client declared no form elicitation (the SDK checks it before asking)
        logger.info("confirmation unavailable: %s", exc.error.message)
        return "unavailable"
    except ToolError as exc:  # an answer that does not fit the form: not a yes
        logger.info("confirmation answer unusable: %s", exc)
        return "cancel"
    except Exception as exc:  # no channel to ask on (a stateless legacy HTTP request): the client cannot ask
        logger.info("confirmation unavailable: %s: %s", type(exc).__name__, exc)
        return "unavailable"
    if isinstance(resolved, InputRequiredResult):
        return resolved
    outcome = resolved["answer"]
    if isinstance(outcome, AcceptedElicitation):
        return "accept" if outcome.data.confirm else "decline"
    action: Answer = outcome.action
    return action


async def confirmed_call(
    ctx: ServerRequestContext[Any],
    params: CallToolRequestParams,
    executor: Executor,
    op: Operation[Any],
    args: Any,
    *,
    tracker: Tracker,
    progress: ProgressFn,
) -> Envelope | InputRequiredResult:
    """Count what the call destroys, ask the person, and run it only on their yes."""
    impact = await executor.impact(op, args, tracker=tracker)
    if not isinstance(impact, Impact):
        return impact  # the count could not be read: nothing asked, nothing sent
    answer = await ask_person(ctx, params, impact.question)
    if isinstance(answer, InputRequiredResult):
        return answer
    if answer != "accept":
        return executor.unconfirmed(op, tracker, impact, answer)
    return await executor.call(op, args, tracker=tracker, progress=progress, confirmed=impact)


def protect_request_state(server: Server[Any], secrets: Sequence[str]) -> None:
    """Seal the multi-round-trip state (AES-GCM, the SDK's boundary). Replicas that share the configuration share
    the key, derived from its secrets, so any of them can resume a round; without secrets a per-process key."""
    if secrets:
        material = hashlib.sha256("\n".join(("keitaro-mcp request state", *secrets)).encode()).hexdigest()
        security = RequestStateSecurity(keys=[material])
    else:
        security = RequestStateSecurity.ephemeral()
    server.middleware.append(RequestStateBoundary(security, default_audience="keitaro-mcp"))
