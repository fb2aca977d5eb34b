"""How long one call lasts against a tracker that drips its answer: the per-attempt deadline, measured.

A tracker on 127.0.0.1 sends its headers at once, then a small JSON body one byte every `--every` seconds (httpx's
own timeouts are per read, so each byte would restart them). The server runs with KEITARO_TIMEOUT=`--timeout`;
the call should end at that deadline with a `timeout` envelope, after one connection (a cut body is not retried).

    .venv/bin/python benchmarks/slow_tracker.py [--timeout 5] [--every 3]
"""

from __future__ import annotations

import argparse
import json
import time

import anyio
from anyio.abc import SocketAttribute, SocketStream
from mcp import Client

from keitaro_mcp.server import build_server
from keitaro_mcp.settings import load_settings


async def measure(timeout: float, every: float) -> None:
    body = json.dumps({"id": 1, "name": "slow"}).encode()
    connections = 0

    async def drip(stream: SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            try:
                await stream.receive()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                await stream.send(head.encode())
                for i in range(len(body)):
                    await anyio.sleep(every)
                    await stream.send(body[i : i + 1])
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                pass

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    env = {"KEITARO_URL": f"http://127.0.0.1:{port}", "KEITARO_API_KEY": "bench-api-key-0c5e"}
    settings = load_settings({**env, "KEITARO_TIMEOUT": str(timeout)})
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, drip)
        async with Client(build_server(settings)) as client:
            started = time.monotonic()
            result = await client.call_tool("get_campaign", {"campaign_id": 1})
            elapsed = time.monotonic() - started
        tg.cancel_scope.cancel()
    envelope = result.structured_content or {}
    outcome = "success" if envelope.get("success") else envelope.get("error", {}).get("kind")
    print(f"KEITARO_TIMEOUT={timeout:g}, {len(body)}-byte body, one byte every {every:g} s "
          f"({len(body) * every:g} s to send it all)")  # fmt: skip
    print(f"get_campaign ended after {elapsed:.2f} s: {outcome}; connections to the tracker: {connections}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=3.0)
    args = parser.parse_args()
    anyio.run(measure, args.timeout, args.every)


if __name__ == "__main__":
    main()
