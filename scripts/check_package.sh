#!/usr/bin/env bash
# Build the wheel and the sdist, install the wheel alone in a fresh virtual environment, and use it.
#
#   scripts/check_package.sh
#
# Checks: `python -m build` (sdist, then the wheel built from that sdist); the wheel carries py.typed, the
# sandbox and the built report view (keitaro_mcp/views/report.html: no Node needed to install), and no tests,
# benchmarks or view sources; its version is keitaro_mcp.__version__; installed with constraints.txt
# into a new venv (outside the repository, so the source tree cannot leak in), `keitaro-mcp --version`,
# `keitaro-mcp tools` and `keitaro-mcp demo` work. Then the README's configuration blocks that need more than a
# clone are started as a client would and asked for their tools: `wheel` (that venv's script) and `uvx-clone`
# (`uvx --from <this clone> keitaro-mcp`, with uv installed from PyPI into the scratch folder).
# Reaches only PyPI (build requirements, dependencies, uv). About a minute.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -n "${PYTHON:-}" ]]; then PY="$PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"
else PY="$(command -v python3)"; fi

UV_VERSION="0.13.9"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kt-package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
run() { printf '+ %s\n' "$*"; "$@"; }

VERSION="$(cd "$ROOT" && "$PY" -c 'import keitaro_mcp; print(keitaro_mcp.__version__)')"
echo "== keitaro-mcp $VERSION: build"
run "$PY" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/*.whl)"
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
echo "built $(basename "$WHEEL") and $(basename "$SDIST")"

echo "== contents"
"$PY" - "$WHEEL" "$SDIST" "$VERSION" <<'EOF'
import sys, tarfile, zipfile

wheel, sdist, version = sys.argv[1:]
names = zipfile.ZipFile(wheel).namelist()
problems = []
for required in ("keitaro_mcp/py.typed", "keitaro_mcp/__init__.py", "keitaro_mcp/sandbox/__init__.py",
                 "keitaro_mcp/views/report.html"):
    if required not in names:
        problems.append(f"wheel lacks {required}")
stray = [n for n in names if n.split("/")[0] in ("tests", "benchmarks", "scripts", "docs", "ui")]
if stray:
    problems.append(f"wheel carries {stray[:5]}")
if f"keitaro_mcp-{version}.dist-info/METADATA" not in names:
    problems.append(f"wheel metadata is not version {version}")
metadata = zipfile.ZipFile(wheel).read(f"keitaro_mcp-{version}.dist-info/METADATA").decode()
if "mcp-name: io.github." not in metadata:
    problems.append("the long description (README) lacks the mcp-name marker the MCP Registry checks")
entry = zipfile.ZipFile(wheel).read(f"keitaro_mcp-{version}.dist-info/entry_points.txt").decode()
if "keitaro-mcp = keitaro_mcp.cli:main" not in entry:
    problems.append("no keitaro-mcp console script")
members = tarfile.open(sdist).getnames()
for required in ("README.md", "pyproject.toml", "keitaro_mcp/py.typed", "keitaro_mcp/views/report.html"):
    if not any(m.endswith("/" + required) for m in members):
        problems.append(f"sdist lacks {required}")
print(f"wheel: {len(names)} files; sdist: {len(members)} files")
if problems:
    sys.exit("\n".join(f"FAIL: {p}" for p in problems))
print("ok: py.typed, sandbox, report view, console script, mcp-name marker; no tests or benchmarks in the wheel")
EOF

echo "== fresh virtual environment, the wheel alone"
run "$PY" -m venv "$WORK/venv"
CONSTRAINTS=()
[[ -f "$ROOT/constraints.txt" ]] && CONSTRAINTS=(-c "$ROOT/constraints.txt")
run "$WORK/venv/bin/pip" install -q --disable-pip-version-check "${CONSTRAINTS[@]}" "$WHEEL" >"$WORK/pip.log" 2>&1 ||
    { cat "$WORK/pip.log"; echo "FAIL: pip install of the wheel"; exit 1; }

cd "$WORK"  # not the repository: the installed package must stand on its own
env -u PYTHONPATH "$WORK/venv/bin/python" - "$WORK/venv" "$ROOT/keitaro_mcp/views/report.html" <<'EOF'
import sys, keitaro_mcp
from keitaro_mcp.views import report_html
assert keitaro_mcp.__file__.startswith(sys.argv[1]), f"imported from {keitaro_mcp.__file__}"
print(f"ok: keitaro_mcp {keitaro_mcp.__version__} imported from the new venv")
with open(sys.argv[2], encoding="utf-8") as committed:
    assert report_html() == committed.read(), "the installed report view is not the committed one"
print(f"ok: the installed package serves the committed report view ({len(report_html())} characters)")
EOF
KT=(env -u PYTHONPATH -u KEITARO_URL -u KEITARO_API_KEY -u KEITARO_TOOLSETS -u KEITARO_READ_ONLY "$WORK/venv/bin/keitaro-mcp")
run "${KT[@]}" --version | tee "$WORK/version.txt"
grep -qx "keitaro-mcp $VERSION" "$WORK/version.txt" || { echo "FAIL: --version is not $VERSION"; exit 1; }
run "${KT[@]}" tools | tail -3
run "${KT[@]}" demo >"$WORK/demo.txt" 2>&1 || { cat "$WORK/demo.txt"; echo "FAIL: keitaro-mcp demo"; exit 1; }
head -c 3000 "$WORK/demo.txt"
echo

echo "== README configuration blocks: from the wheel, and uvx from the clone"
run "$PY" "$ROOT/scripts/readme_configs.py" wheel --venv "$WORK/venv" --wheel "$WHEEL"
run "$PY" -m venv "$WORK/uv"
run "$WORK/uv/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION" >"$WORK/pip-uv.log" 2>&1 ||
    { cat "$WORK/pip-uv.log"; echo "FAIL: pip install uv"; exit 1; }
PATH="$WORK/uv/bin:$PATH" UV_CACHE_DIR="$WORK/uv-cache" UV_CONSTRAINT="$ROOT/constraints.txt" UV_NO_CONFIG=1 \
    run "$PY" "$ROOT/scripts/readme_configs.py" uvx-clone --clone "$ROOT"
echo "== package check passed: $(basename "$WHEEL"), $(basename "$SDIST")"
