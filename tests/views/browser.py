"""Headless Chromium (Debian's package) driven by Playwright, with a minimal MCP Apps host page.

The host page (`host.html`, built from `ui/test-host/` with the ext-apps SDK's AppBridge) renders a view in a
sandboxed iframe under the spec's default Content-Security-Policy and plays the host side of the protocol:
`ui/initialize`, the tool's input and result, host context (theme, locale), and tool calls from the view, which
it hands to `hostCallTool` — here a real MCP client on a server wired to the sandbox tracker.
Every request the page makes and every console error are recorded: the view must make none of either.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import ConsoleMessage, Frame, FrameLocator, Page, Request, async_playwright

HOST_PAGE = Path(__file__).with_name("host.html")

# The machine's network is closed: without these, Chromium keeps trying to reach its own services.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@dataclass
class HostPage:
    """The host page in a browser tab, and what the tab did: requests, console errors, uncaught exceptions."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def view(self) -> FrameLocator:
        return self.page.frame_locator("iframe")

    def view_frame(self) -> Frame:
        frames = [f for f in self.page.frames if f is not self.page.main_frame]
        assert len(frames) == 1, [f.url for f in self.page.frames]
        return frames[0]

    async def show(
        self,
        html: str,
        tool: dict[str, Any],
        arguments: dict[str, Any],
        result: dict[str, Any],
        *,
        theme: str = "light",
        locale: str = "en-US",
        width: int = 720,
        can_call_tools: bool = False,
    ) -> None:
        """Render the view for one tool call, as a host does after the call returned."""
        spec = {
            "html": html,
            "tool": tool,
            "arguments": arguments,
            "result": result,
            "context": {"theme": theme, "locale": locale, "timeZone": "UTC", "platform": "web"},
            "width": width,
            "canCallTools": can_call_tools,
        }
        await self.page.set_viewport_size({"width": width + 32, "height": 900})
        await self.page.evaluate("spec => window.keitaroHost.show(spec)", spec)
        await self.page.wait_for_function("() => window.keitaroHost.state.initialized", timeout=15_000)

    async def host_state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.page.evaluate("() => window.keitaroHost.state")
        return state

    async def screenshot(self, path: Path) -> None:
        """The view's frame as a person sees it in the host."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # Let the view report its size and the host resize the frame; then a tab tall enough for the whole frame
        # (a taller element makes Chromium capture it in parts, and the frame's lower part came out blank).
        await self.page.wait_for_timeout(150)
        box = await self.page.locator("#frame").bounding_box()
        size = self.page.viewport_size or {"width": 800, "height": 900}
        if box and box["y"] + box["height"] + 16 > size["height"]:
            await self.page.set_viewport_size({"width": size["width"], "height": int(box["y"] + box["height"] + 16)})
            await self.page.wait_for_timeout(150)
        await self.page.locator("#frame").screenshot(path=str(path))


ToolRunner = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def host_page(executable: str, run_tool: ToolRunner | None = None) -> AsyncIterator[HostPage]:
    """A fresh headless Chromium (its own empty profile) with the host page loaded; nothing reaches the network."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            host = HostPage(page)

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    host.errors.append(f"console: {message.text}")

            def on_request(request: Request) -> None:
                host.requests.append(request.url)

            page.on("console", on_console)
            page.on("pageerror", lambda exc: host.errors.append(f"uncaught: {exc}"))
            page.on("request", on_request)
            # Belt and braces: anything that still tried to leave the page is refused (and was recorded above).
            await page.route("**/*", lambda route: route.abort())
            if run_tool is not None:

                async def call(params_json: str) -> str:
                    params = json.loads(params_json)
                    return json.dumps(await run_tool(params["name"], params.get("arguments") or {}))

                await page.expose_function("hostCallTool", call)
            await page.set_content(HOST_PAGE.read_text(encoding="utf-8"))
            yield host
        finally:
            await browser.close()
