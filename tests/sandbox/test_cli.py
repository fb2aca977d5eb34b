"""`keitaro-mcp sandbox`: bad input exits 2 with one line; a real uvicorn server on 127.0.0.1 works."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from keitaro_mcp.sandbox import DEMO_API_KEY, Sandbox
from keitaro_mcp.sandbox.cli import main


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--bogus"], "unrecognized arguments"),
        (["--port", "abc"], "invalid int value"),
        (["--port", "70000"], "--port must be between"),
        (["--clicks", "-5"], "--clicks must be between"),
        (["--db", "/nonexistent-dir-for-sure/x.db"], "--db directory does not exist"),
        (["--api-key", ""], "--api-key must not be empty"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_busy_port_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot listen on 127.0.0.1" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow  # a sandbox process on loopback
def test_uvicorn_smoke_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "tracker.sqlite"
    code = "import sys; from keitaro_mcp.sandbox.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "--port", str(port), "--clicks", "2000", "--seed", "5", "--db", str(db)]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()
        assert f"http://127.0.0.1:{port}/admin_api/v1" in banner and DEMO_API_KEY in banner
        base = f"http://127.0.0.1:{port}"
        headers = {"Api-Key": DEMO_API_KEY}
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(50):
                try:
                    r = client.get("/admin_api/v1/campaigns", headers=headers)
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert r.status_code == 200 and len(r.json()) >= 20
            report = client.post(
                "/admin_api/v1/report/build",
                headers=headers,
                json={"range": {"interval": "all_time"}, "dimensions": ["country_code"], "measures": ["clicks"]},
            )
            assert sum(row["clicks"] for row in report.json()["rows"]) > 1900
            fault = {"kind": "drop", "route": "GET /offers", "times": 1}
            assert client.post("/_sandbox/faults", json=fault, headers=headers).status_code == 200
            with pytest.raises(httpx.TransportError):
                client.get("/admin_api/v1/offers", headers=headers)
            assert client.get("/admin_api/v1/offers", headers=headers).status_code == 200
            key = banner.split("/postback)")[0].rsplit("/", 1)[1]  # a new random postback key each start
            pb = client.get(f"/{key}/postback", params={"subid": "unknown", "return": "OK"})
            assert pb.status_code == 200 and pb.text == "OK"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
    # The --db file keeps the state: a new sandbox on it reuses it instead of seeding again.
    reopened = Sandbox(db=str(db), clicks=50)
    try:
        assert reopened.connection().execute("SELECT count(*) FROM clicks").fetchone()[0] > 1900
    finally:
        reopened.close()
