"""Limits of the HTTP transport: what a slow, idle, vanished or greedy client can cost the server.

* A call whose client went away is cancelled: the SDK's stateless JSON path keeps serving a request whose
  connection closed (an export would keep fetching and writing), so `CancelOnDisconnect` listens for the
  disconnect once the request body is read and cancels the call; the call's own clean-up runs (an export removes
  its partial file).
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CancelOnDisconnect"]


class CancelOnDisconnect:
    """ASGI middleware: cancel the app when the client disconnects before the response is complete."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body_read = anyio.Event()
        responded = False

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_read.set()
            return message

        async def sending(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                responded = True
            await send(message)

        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                await body_read.wait()
                # The server only waits here: once the body is read, the next message is the disconnect.
                while (await receive())["type"] != "http.disconnect":
                    pass
                if not responded:
                    tg.cancel_scope.cancel()

            tg.start_soon(watch)
            await self.app(scope, receiving, sending)
            tg.cancel_scope.cancel()
