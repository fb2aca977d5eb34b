"""One version for the package, server.json and the changelog; what the release workflow checks and publishes.

    python scripts/release.py bump 0.2.0     set the version, date the changelog's Unreleased notes, rewrite server.json
    python scripts/release.py check v0.2.0   the tag, keitaro_mcp.__version__, server.json and the changelog agree
    python scripts/release.py notes 0.2.0    the changelog section of a version (the GitHub release notes)

The version lives in `keitaro_mcp/__init__.py`; `pyproject.toml` reads it, `server.json` is rewritten from it
(`python -m keitaro_mcp.docs` does the same) and the changelog's newest released heading must name it. Standard
library only: the release workflow runs `check` before anything is installed.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INIT = Path("keitaro_mcp") / "__init__.py"
SERVER_JSON = Path("server.json")
CHANGELOG = Path("CHANGELOG.md")
REPO_URL = "https://github.com/keitaro-mcp/keitaro-mcp"

_VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.M)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?$")
_HEADING = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$", re.M)


class ReleaseError(Exception):
    """Something disagrees; the message says what and how to fix it."""


def package_version(root: Path = ROOT) -> str:
    match = _VERSION_LINE.search((root / INIT).read_text(encoding="utf-8"))
    if match is None:
        raise ReleaseError(f'{INIT} has no __version__ = "..." line')
    return match.group(1)


def released_versions(changelog: str) -> list[str]:
    """The changelog's version headings, newest first, without Unreleased."""
    return [m.group(1) for m in _HEADING.finditer(changelog) if m.group(1) != "Unreleased"]


def section(changelog: str, version: str) -> str:
    """The text under `## [version]`, up to the next heading of that level."""
    headings = list(_HEADING.finditer(changelog))
    for i, match in enumerate(headings):
        if match.group(1) == version:
            end = headings[i + 1].start() if i + 1 < len(headings) else changelog.find("\n[Unreleased]:")
            return changelog[match.end() : end if end >= 0 else None].strip()
    raise ReleaseError(f"{CHANGELOG} has no '## [{version}]' section")


def problems(root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Every disagreement between the tag (if given), the package, server.json and the changelog."""
    version = package_version(root)
    found: list[str] = []
    if not _SEMVER.match(version):
        found.append(f"__version__ {version!r} is not MAJOR.MINOR.PATCH (PyPI and the MCP Registry want one)")
    if tag is not None and tag != f"v{version}":
        found.append(f"tag {tag!r} is not v{version} (keitaro_mcp.__version__); bump first: scripts/release.py bump")
    doc = json.loads((root / SERVER_JSON).read_text(encoding="utf-8"))
    declared = [("server.json version", doc.get("version"))]
    declared += [(f"server.json package {p.get('identifier')}", p.get("version")) for p in doc.get("packages", [])]
    found += [f"{where} is {value!r}, not {version!r}: run python -m keitaro_mcp.docs" for where, value in declared
              if value != version]  # fmt: skip
    changelog = (root / CHANGELOG).read_text(encoding="utf-8")
    released = released_versions(changelog)
    if not released or released[0] != version:
        newest = released[0] if released else "none"
        found.append(f"{CHANGELOG}'s newest release is {newest}, not {version}: scripts/release.py bump {version}")
    elif not section(changelog, version):
        found.append(f"{CHANGELOG} says nothing under [{version}]")
    if f"\n[{version}]: " not in changelog:
        found.append(f"{CHANGELOG} has no link line '[{version}]: ...'")
    return found


def bump(version: str, root: Path = ROOT, today: datetime.date | None = None) -> None:
    """Set the version everywhere and move the Unreleased notes under it, dated today."""
    if not _SEMVER.match(version):
        raise ReleaseError(f"{version!r} is not MAJOR.MINOR.PATCH")
    old = package_version(root)
    if version == old:
        raise ReleaseError(f"the version is already {version}")
    changelog = (root / CHANGELOG).read_text(encoding="utf-8")
    notes = section(changelog, "Unreleased")
    if not notes:
        raise ReleaseError(f"{CHANGELOG}'s Unreleased section is empty: say what changed first")
    date = (today or datetime.date.today()).isoformat()
    changelog = changelog.replace("## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - {date}\n", 1)
    unreleased_link = f"[Unreleased]: {REPO_URL}/compare/v{old}...HEAD"
    if unreleased_link not in changelog:
        raise ReleaseError(f"{CHANGELOG} lacks the link line {unreleased_link!r}")
    changelog = changelog.replace(
        unreleased_link,
        f"[Unreleased]: {REPO_URL}/compare/v{version}...HEAD\n[{version}]: {REPO_URL}/compare/v{old}...v{version}",
    )
    init = root / INIT
    init.write_text(_VERSION_LINE.sub(f'__version__ = "{version}"', init.read_text(encoding="utf-8")), encoding="utf-8")
    (root / CHANGELOG).write_text(changelog, encoding="utf-8")
    doc = json.loads((root / SERVER_JSON).read_text(encoding="utf-8"))
    doc["version"] = version
    for package in doc["packages"]:
        package["version"] = version
    (root / SERVER_JSON).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    usage = "usage: scripts/release.py bump VERSION | check [TAG] | notes [VERSION]"
    if not argv or argv[0] not in ("bump", "check", "notes") or (argv[0] == "bump" and len(argv) != 2):
        print(usage, file=sys.stderr)
        return 2
    try:
        if argv[0] == "bump":
            bump(argv[1])
            print(f"version {argv[1]}: keitaro_mcp/__init__.py, server.json and CHANGELOG.md updated; commit, then")
            print(f"  git tag v{argv[1]} && git push origin main v{argv[1]}")
        elif argv[0] == "check":
            found = problems(tag=argv[1] if len(argv) > 1 else None)
            for problem in found:
                print(f"release: {problem}", file=sys.stderr)
            if found:
                return 1
            print(f"release: keitaro-mcp {package_version()}: package, server.json and changelog agree")
        else:
            version = argv[1].removeprefix("v") if len(argv) > 1 else package_version()
            print(section((ROOT / CHANGELOG).read_text(encoding="utf-8"), version))
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
