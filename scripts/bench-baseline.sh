#!/usr/bin/env bash
# Builds another revision of this repository (default: the commit before issue 17's speed work) into
# a directory outside the checkout, for side-by-side A/B runs of bench/orchestration.bench.ts
# (BENCH_BASELINE_DIR). Prints the directory. The checkout itself is not touched (git archive).
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-0704f37}"
sha=$(git rev-parse --short=12 "$rev^{commit}")
dir="${TMPDIR:-/tmp}/quarantine-baseline-$sha"
if [ ! -f "$dir/dist/apps/worker/src/main.js" ]; then
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  git archive "$sha" | tar -x -C "$dir.tmp"
  ln -s "$PWD/node_modules" "$dir.tmp/node_modules"
  (cd "$dir.tmp" && bash scripts/build-assets.sh >&2 && npx tsc -p tsconfig.build.json >&2)
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir"
