"""CI's scripts say what is wrong in one place, and the README and CONTRIBUTING describe what `.ci/run` runs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_conformance_script_checks_its_python_before_anything_else() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KEITARO_NODE_TOOLS"}
    env["PYTHON"] = str(ROOT / "no-such-python")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "inspector_conformance.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert output.startswith(f"FAIL: {ROOT / 'no-such-python'} cannot import keitaro_mcp and mcp."), output
    assert "PYTHON=/path/to/python" in output
    assert "Traceback" not in output and "npm" not in output, "nothing ran before the check"


def test_the_conformance_script_documents_its_override_and_its_baseline() -> None:
    head = (ROOT / "scripts" / "inspector_conformance.sh").read_text(encoding="utf-8").split("set -uo pipefail")[0]
    assert "PYTHON=/path/to/python scripts/inspector_conformance.sh" in head
    assert "expected (baseline)" in head and "400 MB" in head


def test_readme_and_contributing_describe_every_step_of_ci() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    development = readme[readme.index("## Development") :]
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    scripts = re.findall(r"^bash (scripts/[\w.]+)", CI, re.M)
    assert len(scripts) >= 3, scripts
    for script in scripts:
        assert script in development, f"README's Development section does not mention {script}"
        assert script in contributing, f"CONTRIBUTING.md does not mention {script}"
    for text in (development, contributing):
        assert "400 MB" in text and "minutes" in text, "what CI downloads and how long it takes"
