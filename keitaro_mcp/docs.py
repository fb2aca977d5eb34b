"""Every generated file, from the registry and the settings (tests fail when one is stale).

python -m keitaro_mcp.docs [ROOT]   rewrite them all, in the checkout at ROOT (default: the current folder):
    README.md's generated tables, server.json's version and variables, keitaro_mcp/tool_index.json (what
    tools/list serves), tests/snapshots/tools/<tool>.json (each tool's schema, reviewed in diffs), and the
    benchmark figures that follow from the code alone (tools/list tokens, re-measured) with the figure tables of
    README.md and benchmarks/README.md; prints the files it changed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio

from keitaro_mcp import __version__
from keitaro_mcp.effects import access_label
from keitaro_mcp.operations import OPERATIONS, by_module
from keitaro_mcp.registry import Operation
from keitaro_mcp.settings import ENV_VARS
from keitaro_mcp.tool_index import INDEX_PATH, render_index
from keitaro_mcp.toolsets import DEFAULT_TOOLSETS, TOOLSET_DESCRIPTIONS

__all__ = [
    "N8N_RESOURCES",
    "N8N_UNSUPPORTED",
    "SNAPSHOTS",
    "refresh_figures",
    "regenerate",
    "render_blocks",
    "render_snapshot",
    "server_json_env",
    "update_readme",
    "update_server_json",
]

# The n8n node's resources: id -> label in the node's UI.
N8N_RESOURCES: dict[str, str] = {
    "campaign": "Кампания (campaign)",
    "stream": "Поток (stream)",
    "landing": "Лендинг (landing)",
    "offer": "Оффер (offer)",
    "click": "Клик (click)",
    "conversion": "Конверсия (conversion)",
    "postback": "Постбэк (postback)",
    "stats": "Статистика (stats)",
    "user": "Пользователь (user)",
    "source": "Источник (source)",
    "group": "Группа (group)",
    "domain": "Домен (domain)",
    "bot": "Бот (bot)",
    "blacklist": "Блэклист (blacklist)",
    "filter": "Фильтр (filter)",
    "log": "Лог (log)",
    "settings": "Настройки (settings)",
    "affiliate_network": "Партнёрская сеть (affiliate_network)",
    "integration": "Интеграция (integration)",
}

# n8n operations with no tool, and why (Keitaro has no mechanism for them).
N8N_UNSUPPORTED: list[tuple[str, str, str]] = [
    (
        "settings",
        "get / update",
        "Not offered: Keitaro's Admin API has no settings endpoint (GET /settings is unconfirmed and undocumented).",
    ),
]

_BLOCK = re.compile(r"(<!-- generated:(\w+) -->\n).*?(<!-- /generated:\2 -->)", re.S)


def _access(op: Operation[Any]) -> str:
    return access_label(op.effect)


def _tools_table(ops: tuple[Operation[Any], ...]) -> str:
    lines = ["| tool | toolset | access | what it does |", "|---|---|---|---|"]
    for op in ops:
        star = " *" if op.toolset in DEFAULT_TOOLSETS else ""
        first = op.description.split("\n")[0].replace("|", "\\|")
        lines.append(f"| `{op.name}` | {op.toolset}{star} | {_access(op)} | {first} |")
    return "\n".join(lines)


def _toolsets_table() -> str:
    lines = ["| toolset | default | tools | contents |", "|---|---|---|---|"]
    for name, text in TOOLSET_DESCRIPTIONS.items():
        count = sum(1 for op in OPERATIONS if op.toolset == name)
        lines.append(f"| `{name}` | {'yes' if name in DEFAULT_TOOLSETS else ''} | {count} | {text} |")
    return "\n".join(lines)


def _n8n_table(ops: tuple[Operation[Any], ...]) -> str:
    lines = ["| n8n resource | operation | tool | Keitaro mechanism |", "|---|---|---|---|"]
    order = {r: i for i, r in enumerate(N8N_RESOURCES)}
    # A tool with variants performs several n8n operations: one row each, naming the argument that picks it.
    rows = [
        (op.resource, v.operation, f"{op.name}({v.call})" if v.call else op.name, f"`{v.method} {v.path}`")
        for op in ops for v in op.variants
    ] + [
        (op.resource, op.operation, op.name,
         "composed: " + ", ".join(_handler_note(op)) if op.handler else f"`{op.method} {op.path}`")
        for op in ops if not op.variants
    ]  # fmt: skip
    for resource, operation, tool, mechanism in sorted(rows, key=lambda r: (order.get(r[0], 99), r[1], r[2])):
        label = N8N_RESOURCES.get(resource, resource)
        lines.append(f"| {label} | `{operation}` | `{tool}` | {mechanism} |")
    for resource, operation, why in N8N_UNSUPPORTED:
        lines.append(f"| {N8N_RESOURCES[resource]} | `{operation}` | — | {why} |")
    return "\n".join(lines)


def _handler_note(op: Operation[Any]) -> list[str]:
    doc = (op.handler.__doc__ or "").strip() if op.handler else ""
    return [doc.split("\n")[0].rstrip(".")] if doc else [f"{op.method} {op.path}"]


def _env_table() -> str:
    lines = ["| variable | required | secret | meaning |", "|---|---|---|---|"]
    for name, (text, required, secret) in ENV_VARS.items():
        lines.append(f"| `{name}` | {'yes' if required else ''} | {'yes' if secret else ''} | {text} |")
    return "\n".join(lines)


def render_blocks() -> dict[str, str]:
    """The content of each generated README block, by block name."""
    return {
        "tools": _tools_table(OPERATIONS),
        "toolsets": _toolsets_table(),
        "n8n": _n8n_table(OPERATIONS),
        "env": _env_table(),
    }


def update_readme(text: str) -> str:
    """README text with every generated block rewritten from the registry."""
    blocks = render_blocks()

    def replace(match: re.Match[str]) -> str:
        return f"{match.group(1)}{blocks[match.group(2)]}\n{match.group(3)}"

    return _BLOCK.sub(replace, text)


_FORMATS = {"KEITARO_TIMEOUT": ("number", "30"), "KEITARO_READ_ONLY": ("boolean", "false"),
            "KEITARO_DEBUG": ("boolean", "false"), "KEITARO_EXPORT_DIR": ("filepath", None),
            "KEITARO_MAX_RESPONSE_MB": ("number", "50"),
            "KEITARO_EXPORT_MAX_ROWS": ("number", "5000000"), "KEITARO_EXPORT_MAX_MB": ("number", "1024")}  # fmt: skip


def server_json_env() -> list[dict[str, object]]:
    """server.json's environmentVariables, from the settings table."""
    out: list[dict[str, object]] = []
    for name, (text, required, secret) in ENV_VARS.items():
        fmt, default = _FORMATS.get(name, ("string", None))
        entry: dict[str, object] = {"name": name, "description": text, "isRequired": required, "format": fmt}
        if secret:
            entry["isSecret"] = True
        if default is not None:
            entry["default"] = default
        out.append(entry)
    return out


def update_server_json(text: str) -> str:
    """server.json with the package's version and the settings' variables (scripts/release.py bump calls this)."""
    doc = json.loads(text)
    doc["version"] = __version__
    for package in doc["packages"]:
        package["version"] = __version__
        package["environmentVariables"] = server_json_env()
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


SNAPSHOTS = Path("tests") / "snapshots" / "tools"
"""Where a checkout keeps one snapshot per tool: its wire definition and registry facts, for review in diffs."""


def render_snapshot(op: Operation[Any]) -> str:
    """A tool's snapshot file: the definition tools/list sends, and how the tool reaches Keitaro."""
    snapshot = op.tool.model_dump(by_alias=True, exclude_none=True, mode="json") | {
        "x-keitaro": {
            "method": op.method,
            "path": op.path,
            "api": op.api,
            "toolset": op.toolset,
            "n8n": f"{op.resource}/{op.operation}",
        }
    }
    if op.variants:
        calls = [f"{v.call or '(default)'}: {op.resource}/{v.operation} {v.method} {v.path}" for v in op.variants]
        snapshot["x-keitaro"]["variants"] = calls
    return json.dumps(snapshot, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _write(path: Path, text: str, changed: list[Path]) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)


def regenerate(root: Path, index: Path = INDEX_PATH) -> list[Path]:
    """Rewrite every generated file of the checkout at `root` (the tool index at `index`); the files that changed
    (or went)."""
    changed: list[Path] = []
    readme, manifest = root / "README.md", root / "server.json"
    _write(readme, update_readme(readme.read_text(encoding="utf-8")), changed)
    _write(manifest, update_server_json(manifest.read_text(encoding="utf-8")), changed)
    _write(index, render_index(by_module()), changed)
    if (root / "tests").is_dir():  # a checkout, not an installed package
        folder = root / SNAPSHOTS
        for op in OPERATIONS:
            _write(folder / f"{op.name}.json", render_snapshot(op), changed)
        names = {f"{op.name}.json" for op in OPERATIONS}
        for stale in sorted(p for p in folder.glob("*.json") if p.name not in names):
            stale.unlink()
            changed.append(stale)
    if (root / "benchmarks" / "figures.py").is_file():
        changed += refresh_figures(root / "benchmarks")
    return changed


def _script(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refresh_figures(benchmarks: Path) -> list[Path]:
    """A checkout's benchmark figures that follow from the code: the tools/list token counts are measured again
    (recorded only when they moved) and both figure tables rendered from benchmarks/figures.json."""
    tokens, figures = _script(benchmarks / "tokens.py"), _script(benchmarks / "figures.py")
    measured, _ = anyio.run(tokens.measure)
    recorded = figures.load().get("tokens", {})
    changed: list[Path] = []
    if any(recorded.get(name) != value for name, value in measured.items()):
        with contextlib.redirect_stdout(io.StringIO()):  # its hint names the step done next here
            figures.record("tokens", measured, enabled=True)
        changed.append(figures.FIGURES)
    for readme in figures.READMES.values():
        _write(readme, figures.update(readme.read_text(encoding="utf-8")), changed)
    return changed


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    changed = regenerate(root)
    for path in dict.fromkeys(p.resolve() for p in changed):
        shown = path.relative_to(root.resolve()) if path.is_relative_to(root.resolve()) else path
        print(f"rewrote {shown}" if path.exists() else f"removed {shown}")
    if not changed:
        print("every generated file is current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
