"""Pytest plugin: no secret ever shows up in anything the test suite produces.

Loaded from tests/conftest.py (`pytest_plugins = ["tests.secrets_guard"]`). The secrets are the suite's API key and
postback key (tests/conftest.py) and the HTTP token (`TEST_MCP_TOKEN`), plus anything a test `register`s: team
mode's users' Keitaro keys and bearer tokens and every access token its identity provider signs
(tests/team/conftest.py), the variables of the README's team recipes. While
the suite runs, the plugin looks at:

* every tool result an MCP `Client` returns, and the text of anything `call_tool` raises (every client: in-memory,
  stdio, HTTP);
* every envelope `Executor.call` returns (a composed tool's intermediate envelopes are not: `call` redacts them);
* every log record (formatted, with its traceback) that reaches the root logger; `keitaro_mcp` logs at DEBUG;
* every audit line (`AuditLog.write`, whatever its target), and the audit files tests read back (`check`);
* captured stdout/stderr/log sections of every test report, the failure text of failing tests, what a test reads
  with `capsys`/`capfd`, and the text of every exception `pytest.raises` catches;
* the arguments of every process spawned (`subprocess.Popen`, which asyncio and anyio use too);
* every URL the sandbox tracker receives (the API key and token travel in headers only; the postback key is the
  postback endpoint's path, so it is allowed there and nowhere else).

A test that finds a secret fails (its report turns red with the place named, never the secret itself). A test that
handles a secret on purpose (a redaction unit test) is marked `@pytest.mark.secrets_allowed("why")`; the plugin's
own tests use `expect_leak()` to see what it catches.
"""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pluggy
import pytest

__all__ = ["TEST_MCP_TOKEN", "check", "expect_leak", "register", "secrets"]

TEST_MCP_TOKEN = "mcp-token-9d41c7f0b2e8-4a7c31e05f96d2b8"
"""The bearer token the HTTP tests use (register your own with `register` if you need another)."""

_extra: dict[str, str] = {"KEITARO_MCP_TOKEN (test)": TEST_MCP_TOKEN}
_lock = threading.Lock()
_found: list[str] = []
_collectors: list[list[str]] = []


def secrets() -> dict[str, str]:
    """name -> value of every secret the suite must never show."""
    out = dict(_extra)
    import tests.conftest as conftest  # loaded already: the plugin is registered by tests/conftest.py

    out["KEITARO_API_KEY (TEST_API_KEY)"] = conftest.TEST_API_KEY
    out["KEITARO_POSTBACK_KEY (TEST_POSTBACK_KEY)"] = conftest.TEST_POSTBACK_KEY
    return {name: value for name, value in out.items() if value}


def register(name: str, value: str) -> None:
    """Add a secret (e.g. a token a test generates) for the rest of the session."""
    _extra[name] = value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json")
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def check(value: Any, where: str, *, allow: tuple[str, ...] = ()) -> list[str]:
    """Record (and return) one finding per secret that occurs in `value`; `allow` names secrets allowed here."""
    text = _text(value)
    hits = [f"{where}: contains {name}" for name, s in secrets().items() if s in text and name not in allow]
    if hits:
        with _lock:
            if _collectors:
                _collectors[-1].extend(hits)
            else:
                _found.extend(hits)
    return hits


@contextmanager
def expect_leak() -> Iterator[list[str]]:
    """Collect findings made inside the block instead of failing the test (for the plugin's own tests)."""
    seen: list[str] = []
    with _lock:
        _collectors.append(seen)
    try:
        yield seen
    finally:
        with _lock:
            _collectors.remove(seen)


def _take() -> list[str]:
    with _lock:
        taken = list(_found)
        _found.clear()
    return taken


# ---------------------------------------------------------------------------------------------------- the taps


class _LogTap(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken log call is the logging module's business, not ours
            text = str(record.msg)
        check(text, f"log record {record.name}:{record.levelname}")


_patches: list[tuple[Any, str, Any]] = []


def _patch(owner: Any, name: str, make: Any) -> None:
    original = getattr(owner, name)
    _patches.append((owner, name, original))
    setattr(owner, name, make(original))


def _wrap_call_tool(original: Any) -> Any:
    @functools.wraps(original)
    async def call_tool(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await original(self, name, *args, **kwargs)
        except BaseException as exc:
            check(str(exc), f"exception from call_tool({name!r})")
            raise
        check(result, f"tool result of {name}")
        return result

    return call_tool


def _wrap_envelope(label: str) -> Any:
    def make(original: Any) -> Any:
        @functools.wraps(original)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            envelope = await original(self, *args, **kwargs)
            check(envelope, f"envelope from Executor.{label}")
            return envelope

        return wrapper

    return make


def _wrap_audit_write(original: Any) -> Any:
    @functools.wraps(original)
    def write(self: Any, line: str) -> None:
        check(line, "audit log line")
        original(self, line)

    return write


def _wrap_popen(original: Any) -> Any:
    @functools.wraps(original)
    def __init__(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
        check(args if isinstance(args, str | bytes) else [str(a) for a in args], "arguments of a spawned process")
        original(self, args, *rest, **kwargs)

    return __init__


def _wrap_readouterr(original: Any) -> Any:
    @functools.wraps(original)
    def readouterr(self: Any) -> Any:
        result = original(self)
        check([result.out, result.err], "output read with capsys/capfd")
        return result

    return readouterr


def _wrap_fill_unfilled(original: Any) -> Any:
    @functools.wraps(original)
    def fill_unfilled(self: Any, exc_info: Any) -> None:
        original(self, exc_info)
        check(str(exc_info[1]), f"exception caught by pytest.raises ({type(exc_info[1]).__name__})")

    return fill_unfilled


def _sandbox_listener(exchange: Any) -> None:
    url = f"{exchange.path}?{exchange.query}"
    check(url, f"URL the sandbox received ({exchange.method} {exchange.path.split('/')[-1] or '/'})", allow=(
        "KEITARO_POSTBACK_KEY (TEST_POSTBACK_KEY)",
    ))  # fmt: skip


_tap = _LogTap()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "secrets_allowed(reason): this test handles secrets on purpose; the secrets guard ignores it"
    )
    from _pytest._code import ExceptionInfo
    from _pytest.capture import CaptureFixture
    from mcp.client.client import Client

    from keitaro_mcp.audit import AuditLog
    from keitaro_mcp.executor import Executor

    _patch(Client, "call_tool", _wrap_call_tool)
    _patch(Executor, "call", _wrap_envelope("call"))
    _patch(AuditLog, "write", _wrap_audit_write)
    _patch(subprocess.Popen, "__init__", _wrap_popen)
    _patch(CaptureFixture, "readouterr", _wrap_readouterr)
    if hasattr(ExceptionInfo, "fill_unfilled"):
        _patch(ExceptionInfo, "fill_unfilled", _wrap_fill_unfilled)
    logging.getLogger().addHandler(_tap)
    ours = logging.getLogger("keitaro_mcp")
    if ours.level == logging.NOTSET:
        ours.setLevel(logging.DEBUG)
    try:
        from keitaro_mcp.sandbox import recording
    except ImportError:  # pragma: no cover - the sandbox is part of the package
        return
    recording.add_listener(_sandbox_listener)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _patches:
        owner, name, original = _patches.pop()
        setattr(owner, name, original)
    logging.getLogger().removeHandler(_tap)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    for title, content in report.sections:
        check(content, f"{title.lower()}")
    if report.failed:
        check(report.longreprtext, "failure text")
    findings = _take()
    if item.get_closest_marker("secrets_allowed") is not None or not findings:
        return
    unique = list(dict.fromkeys(findings))
    message = "secrets guard: a secret was shown\n  " + "\n  ".join(unique)
    if report.passed:
        report.outcome = "failed"
        report.longrepr = message
    else:
        report.sections.append(("secrets guard", message))
