"""The README's promises run as written: the two commands are CI's, every configuration block starts a server
that an MCP client can list tools from, and every command line shown in a bash block works as shown."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
FIRST_SCREEN = 30  # lines


def load_configs_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_configs", ROOT / "scripts" / "readme_configs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


configs = load_configs_module()
BLOCKS = configs.blocks(README)
# Started here; the rest need a built wheel or uv and PyPI, so scripts/check_package.sh starts them.
HERE = ["sandbox", "sandbox-vscode", "sandbox-claude-code", "clone", "claude-code", "vscode"]


def two_commands() -> list[str]:
    match = re.search(r"<!-- two-commands -->\s*```bash\n(.*?)```", README, re.S)
    assert match, "README has no <!-- two-commands --> block"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_the_two_commands_are_on_the_first_screen_and_are_what_ci_runs() -> None:
    setup, tests = two_commands()
    assert "keitaro-mcp demo" in setup and tests == ".venv/bin/pytest"
    first_screen = README.splitlines()[:FIRST_SCREEN]
    assert setup in first_screen and tests in first_screen
    ci_lines = CI.splitlines()
    assert setup in ci_lines and tests in ci_lines, ".ci/run must run the README's two commands verbatim"
    assert ci_lines.index(setup) < ci_lines.index(tests)
    assert [line for line in ci_lines if line.strip() and not line.startswith(("#", "echo"))][-1] == tests


def test_every_configuration_block_is_started_somewhere() -> None:
    script = (ROOT / "scripts" / "check_package.sh").read_text(encoding="utf-8")
    elsewhere = set(re.findall(r"readme_configs\.py\"? ([\w-]+)", script))
    assert set(BLOCKS) == set(HERE) | elsewhere, f"blocks {sorted(BLOCKS)}; started {HERE} + {sorted(elsewhere)}"
    assert elsewhere == {"wheel", "uvx-clone"}


@pytest.mark.slow  # starts each block's server process
@pytest.mark.parametrize("name", HERE)
async def test_a_configuration_block_starts_a_server_a_client_can_list(name: str) -> None:
    script = ROOT / ".venv" / "bin" / "keitaro-mcp"
    assert script.exists(), f"{script} is missing: run the README's first command"
    item = configs.resolve(configs.launch(name, *BLOCKS[name]), clone=ROOT)
    assert configs.CLONE not in item.command + " ".join(item.args)
    tools = await configs.list_tools(item)
    assert "get_campaign" in tools and len(tools) >= 20, tools


def test_the_sandbox_blocks_need_no_key() -> None:
    for name in ("sandbox", "sandbox-vscode", "sandbox-claude-code"):
        item = configs.launch(name, *BLOCKS[name])
        assert item.env == {"KEITARO_URL": "sandbox"}, name


def test_the_released_path_and_the_unpublished_package_are_said_plainly() -> None:
    assert "not on PyPI yet" in README
    assert '"command": "uvx", "args": ["keitaro-mcp"]' in README
    assert "uvx --from /path/to/keitaro-mcp keitaro-mcp" in README
    launch = configs.launch("uvx-clone", *BLOCKS["uvx-clone"])
    assert (launch.command, launch.args) == ("uvx", ["--from", configs.CLONE, "keitaro-mcp"])


def command_lines() -> list[str]:
    """Lines of the README's bash blocks that run keitaro-mcp from the clone (not the two commands)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith(("KEITARO_URL=sandbox .venv/bin/keitaro-mcp", ".venv/bin/keitaro-mcp ")):
                lines.append(command)
    return [line for line in lines if not line.endswith(" demo")]


def test_the_readme_shows_call_examples() -> None:
    assert sum(" call " in line for line in command_lines()) >= 2


@pytest.mark.slow  # runs each command line in a shell
@pytest.mark.parametrize("line", command_lines())
def test_a_command_line_runs_as_shown(line: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEITARO_")}
    done = subprocess.run(
        ["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "quiet: nothing on stderr (no warning, no traceback)"
    if " call " in line and "|" not in line:
        assert json.loads(done.stdout)["success"] is True
