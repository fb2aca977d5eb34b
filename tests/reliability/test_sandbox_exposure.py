"""The sandbox as people run it: a random postback key per start unless given, the API key from the environment
(never in `ps` or in its output), the control path behind the API key, request bodies capped before they are read,
MATCH_REGEXP filters that cannot freeze it, and a warning when it listens beyond loopback.

Sandboxes here run in-process (ASGI), under uvicorn in a thread on 127.0.0.1, or as `keitaro-mcp sandbox` processes
on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from keitaro_mcp.sandbox import DEMO_API_KEY, DEMO_USER_KEYS, Sandbox
from keitaro_mcp.sandbox.cli import API_KEY_ENV, POSTBACK_KEY_ENV, exposure_warning
from keitaro_mcp.sandbox.pipeline import MAX_BODY
from keitaro_mcp.sandbox.reports.filters import MAX_PATTERN, REGEXP_BUDGET
from tests.reliability._servers import serve_in_thread
from tests.secrets_guard import register

OWN_KEY = "own-sandbox-key-5e0c2d9b7a41"
register("the sandbox's own API key", OWN_KEY)


@contextmanager
def sandbox_process(*args: str, **env: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`keitaro-mcp sandbox --port 0 ...` on 127.0.0.1; yields the process and its banner line."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")} | env
    command = [sys.executable, "-m", "keitaro_mcp", "sandbox", "--port", "0", "--clicks", "50", *args]
    proc = subprocess.Popen(command, env=clean, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        yield proc, proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def postback_key(banner: str) -> str:
    found = re.search(r"/([^/\s]+)/postback\)", banner)
    assert found, banner
    return found.group(1)


@pytest.mark.slow  # sandbox processes
def test_the_postback_key_is_random_per_start_unless_given() -> None:
    """Was: every sandbox took conversions at the public /sandboxpb/postback."""
    with sandbox_process() as (_, first), sandbox_process() as (_, second):
        keys = {postback_key(first), postback_key(second)}
    assert len(keys) == 2 and "sandboxpb" not in keys and all(len(k) >= 16 for k in keys)
    with sandbox_process("--postback-key", "given-pb-key") as (_, banner):
        assert postback_key(banner) == "given-pb-key"
    with sandbox_process(**{POSTBACK_KEY_ENV: "env-pb-key-1"}) as (_, banner):
        assert postback_key(banner) == "env-pb-key-1"


@pytest.mark.slow  # a sandbox process
def test_the_api_key_can_come_from_the_environment() -> None:
    """Was: only --api-key, which every user of the machine sees in `ps`."""
    with sandbox_process(**{API_KEY_ENV: OWN_KEY}) as (proc, banner):
        assert OWN_KEY not in banner and "Api-Key: the one given" in banner
        with open(f"/proc/{proc.pid}/cmdline", "rb") as cmdline:
            assert OWN_KEY.encode() not in cmdline.read()
        base = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert base, banner
        with httpx.Client(base_url=base.group(0), timeout=10) as client:
            for _ in range(100):
                try:
                    own = client.get("/admin_api/v1/campaigns", headers={"Api-Key": OWN_KEY})
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            assert own.status_code == 200
            assert client.get("/admin_api/v1/campaigns", headers={"Api-Key": DEMO_API_KEY}).status_code == 401


def test_faults_and_request_counters_need_the_api_key() -> None:
    box = Sandbox(seed=3, clicks=20)
    user_key = next(iter(DEMO_USER_KEYS))
    try:
        with TestClient(box.app, base_url="http://sandbox.test") as client:
            fault = {"kind": "server_error", "route": "*"}
            for headers, status in (({}, 401), ({"Api-Key": user_key}, 403), ({"Api-Key": "wrong-key-123"}, 401)):
                assert client.post("/_sandbox/faults", json=fault, headers=headers).status_code == status
                assert client.get("/_sandbox/requests", headers=headers).status_code == status
                assert client.delete("/_sandbox/requests", headers=headers).status_code == status
            assert box.faults.active() == []
            assert client.get("/_sandbox/requests", headers={"Api-Key": DEMO_API_KEY}).status_code == 200
    finally:
        box.close()


def answer_to(port: int, head: bytes, body: bytes = b"") -> bytes:
    """What the server answers to a request whose body it has not been sent (yet)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head + body)
        return conn.recv(4096)


def test_a_large_body_is_refused_before_it_is_read() -> None:
    """Was: a 300 MB body, without any key, was read into memory before anything was checked."""
    box = Sandbox(seed=3, clicks=20)
    try:
        with serve_in_thread(box.app) as url:
            port = int(url.rsplit(":", 1)[1])
            head = "POST /admin_api/v1/campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            big = f"Content-Length: {300 * 1024 * 1024}\r\n"
            assert answer_to(port, (head + big + "\r\n").encode()).startswith(b"HTTP/1.1 401")
            keyed = head + f"Api-Key: {DEMO_API_KEY}\r\n"
            assert answer_to(port, (keyed + big + "\r\n").encode()).startswith(b"HTTP/1.1 413")
            chunk = b"x" * (1024 * 1024)
            chunked = (keyed + "Transfer-Encoding: chunked\r\n\r\n").encode()
            body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY // len(chunk) + 1))
            assert answer_to(port, chunked, body).startswith(b"HTTP/1.1 413")
            postback = f"POST /{box.postback_key}/postback HTTP/1.1\r\nHost: x\r\n{big}\r\n"
            assert answer_to(port, postback.encode()).startswith(b"HTTP/1.1 413")
    finally:
        box.close()


@pytest.fixture(scope="module")
def tracker() -> Iterator[TestClient]:
    box = Sandbox(seed=3, clicks=3_000)
    with TestClient(box.app, base_url="http://sandbox.test", headers={"Api-Key": DEMO_API_KEY}) as client:
        yield client
    box.close()


def regexp_log(client: TestClient, column: str, pattern: str) -> tuple[Any, float]:
    body = {"range": {"interval": "all_time"}, "limit": 10, "columns": ["sub_id"],
            "filters": [{"name": column, "operator": "MATCH_REGEXP", "expression": pattern}]}  # fmt: skip
    started = time.monotonic()
    answer = client.post("/admin_api/v1/clicks/log", json=body)
    return answer, time.monotonic() - started


def test_a_catastrophic_pattern_cannot_freeze_the_tracker(tracker: TestClient) -> None:
    """Was: Python's `re` has no timeout; `^(\\w+\\w?)+!` over every click held the store lock for minutes."""
    answer, _ = regexp_log(tracker, "sub_id", r"^(\w+\w?)+!")  # catastrophic for `re`, not for `regex`
    assert answer.status_code == 200
    answer, elapsed = regexp_log(tracker, "user_agent", r"(?:(?:\w+\W+){3}Gecko!){e<=4}")  # slow in `regex` too
    assert answer.status_code == 400 and "took more than" in answer.json()["error"]
    assert elapsed <= REGEXP_BUDGET + 1.5, f"{elapsed:.2f} s"
    assert tracker.get("/admin_api/v1/campaigns").status_code == 200  # and the tracker serves on


def test_a_pattern_is_bounded_in_length(tracker: TestClient) -> None:
    answer, _ = regexp_log(tracker, "sub_id", "a" * (MAX_PATTERN + 1))
    assert answer.status_code == 400 and f"longer than {MAX_PATTERN}" in answer.json()["error"]


def test_listening_beyond_loopback_warns() -> None:
    assert exposure_warning("127.0.0.1", DEMO_API_KEY) is None
    assert exposure_warning("::1", OWN_KEY) is None
    warning = exposure_warning("0.0.0.0", DEMO_API_KEY)
    assert warning is not None and "warning" in warning and "public" in warning and "--host 127.0.0.1" in warning
    own = exposure_warning("192.0.2.10", OWN_KEY)
    assert own is not None and "who knows the API key" in own and OWN_KEY not in own
