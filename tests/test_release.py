"""One version in one place: the package, server.json and the changelog agree; a bump moves all three; the release
workflow publishes what a tag names and nothing else."""

from __future__ import annotations

import datetime
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from keitaro_mcp import __version__
from keitaro_mcp.docs import update_server_json

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def load_release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_script", ROOT / "scripts" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = load_release()


def copy_tree(tmp_path: Path) -> Path:
    for name in ("keitaro_mcp/__init__.py", "server.json", "CHANGELOG.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_checkout_agrees_with_its_own_version() -> None:
    assert release.package_version() == __version__
    assert release.problems(tag=f"v{__version__}") == []
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert release.released_versions(changelog)[0] == __version__, "the newest changelog entry is the version"
    doc = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    assert doc["version"] == __version__ and {p["version"] for p in doc["packages"]} == {__version__}


def test_server_json_takes_its_version_from_the_package() -> None:
    text = (ROOT / "server.json").read_text(encoding="utf-8")
    stale = json.loads(text)
    stale["version"] = "0.0.1"
    stale["packages"][0]["version"] = "0.0.1"
    fresh = json.loads(update_server_json(json.dumps(stale)))
    assert fresh["version"] == fresh["packages"][0]["version"] == __version__


@pytest.mark.parametrize(
    ("tag", "edit", "expected"),
    [
        ("v9.9.9", None, "tag 'v9.9.9' is not v"),
        (None, ("server.json", '"version": "', '"version": "1'), "server.json version is '1"),
        (
            None,
            ("CHANGELOG.md", "## [Unreleased]\n", "## [Unreleased]\n\n## [7.0.0]\n\nx\n"),
            "newest release is 7.0.0",
        ),
    ],
    ids=["wrong-tag", "server-json-drifted", "changelog-ahead"],
)
def test_check_names_each_disagreement(
    tmp_path: Path, tag: str | None, edit: tuple[str, str, str] | None, expected: str
) -> None:
    root = copy_tree(tmp_path)
    if edit is not None:
        name, old, new = edit
        path = root / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    found = release.problems(root, tag=tag)
    assert any(expected in problem for problem in found), found


def test_bump_moves_the_version_everywhere_and_dates_the_notes(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    if not release.section(text, "Unreleased"):
        changelog.write_text(text.replace("## [Unreleased]\n", "## [Unreleased]\n\n- A change.\n", 1))
    unreleased = release.section(changelog.read_text(encoding="utf-8"), "Unreleased")
    major, minor, _ = (int(x) for x in __version__.split(".")[:3])
    new = f"{major}.{minor + 1}.0"
    release.bump(new, root, today=datetime.date(2027, 1, 2))
    assert release.problems(root, tag=f"v{new}") == []
    text = changelog.read_text(encoding="utf-8")
    assert f"## [{new}] - 2027-01-02" in text
    assert release.section(text, new) == unreleased and release.section(text, "Unreleased") == ""
    assert f"[Unreleased]: {release.REPO_URL}/compare/v{new}...HEAD" in text
    assert f"[{new}]: {release.REPO_URL}/compare/v{__version__}...v{new}" in text
    doc_text = (root / "server.json").read_text(encoding="utf-8")
    assert doc_text == update_server_json(doc_text).replace(f'"{__version__}"', f'"{new}"')
    with pytest.raises(release.ReleaseError, match="already"):
        release.bump(new, root)


def test_the_command_exits_1_with_one_line_per_problem() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "release.py"), "check", "v0.0.0-nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"release: tag 'v0.0.0-nope' is not v{__version__} (keitaro_mcp.__version__); "
                                        "bump first: scripts/release.py bump"]  # fmt: skip


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return doc


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def test_the_release_runs_on_version_tags_only(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    trigger = workflow.get("on", workflow.get(True))
    assert trigger == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}, "jobs ask for more only where they need it"


def test_the_release_checks_before_it_builds_and_publishes_with_trusted_publishing(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    runs = [step.get("run", "") for step in steps(workflow, "check")]
    assert 'python scripts/release.py check "$GITHUB_REF_NAME"' in runs
    assert "bash .ci/run" in runs
    assert jobs["build"]["needs"] == "check" and jobs["pypi"]["needs"] == "build"
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"} and pypi["environment"]["name"] == "pypi"
    assert [s["uses"] for s in steps(workflow, "pypi") if "uses" in s][-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert all("password" not in (s.get("with") or {}) for s in steps(workflow, "pypi")), "no stored PyPI token"
    registry = "\n".join(step.get("run", "") for step in steps(workflow, "registry"))
    assert jobs["registry"]["needs"] == "pypi" and jobs["registry"]["permissions"]["id-token"] == "write"
    assert "mcp-publisher login github-oidc" in registry and "mcp-publisher publish server.json" in registry
    notes = "\n".join(step.get("run", "") for step in steps(workflow, "github"))
    assert 'scripts/release.py notes "$GITHUB_REF_NAME"' in notes


def test_release_notes_are_the_changelog_section() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "release.py"), "notes", f"v{__version__}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert done.stdout.strip() == release.section(changelog, __version__) != ""
