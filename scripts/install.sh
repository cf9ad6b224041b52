#!/usr/bin/env bash
# Installs npm dependencies (from the lockfile) when missing or stale, and builds the project.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.quarantine-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[install] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
echo "[install] build" >&2
bash scripts/build-assets.sh
npx tsc -p tsconfig.build.json
chmod 0755 dist/apps/cli/src/main.js   # the `quarantine` bin (npx quarantine from a checkout)
