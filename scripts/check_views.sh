#!/usr/bin/env bash
# The MCP Apps views are built from ui/ and committed: rebuild them from the locked packages and compare.
#
#   scripts/check_views.sh
#
# `npm ci` installs exactly ui/package-lock.json (esbuild, TypeScript, the ext-apps SDK, uPlot; npm's cache makes
# later runs fast), `npm run check` type-checks the sources, `npm run build` writes keitaro_mcp/views/report.html
# and tests/views/host.html; the check fails when either differs by one byte from the committed file.
# Reaches only the npm registry.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILT=(keitaro_mcp/views/report.html tests/views/host.html)
cd "$ROOT/ui"
echo "node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
npm run --silent check
npm run --silent build
cd "$ROOT"
if ! git diff --quiet -- "${BUILT[@]}" || [[ -n "$(git ls-files --others -- "${BUILT[@]}")" ]]; then
    git diff --stat -- "${BUILT[@]}"
    echo "FAIL: the committed views differ from a rebuild of ui/ (run: cd ui && npm ci && npm run build; commit)"
    exit 1
fi
sha256sum "${BUILT[@]}"
echo "ok: a rebuild of ui/ reproduces the committed views byte for byte"
