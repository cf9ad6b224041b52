#!/usr/bin/env bash
# Quickstart: installs what is missing (Redis, Docker, gVisor, strace, …), builds Quarantine and
# the demo sample images, starts the API and the worker, detonates demo images and prints verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-deps.sh
bash scripts/install.sh
bash test/samples/build.sh

mkdir -p .run
if [ -z "${QUARANTINE_ADMIN_KEY:-}" ]; then
  [ -f .run/admin-key ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=' > .run/admin-key)
  QUARANTINE_ADMIN_KEY=$(cat .run/admin-key)
fi
if [ -z "${QUARANTINE_SECRET_KEY:-}" ]; then
  # One machine, one key file: encrypts webhook secrets at rest (docs/security.md, "Secrets at rest").
  [ -f .run/secret-key ] || (umask 077; head -c 32 /dev/urandom | base64 > .run/secret-key)
  QUARANTINE_SECRET_KEY=$(cat .run/secret-key)
fi
export QUARANTINE_ADMIN_KEY QUARANTINE_SECRET_KEY PORT="${PORT:-3000}" ARTIFACT_DIR="${ARTIFACT_DIR:-$PWD/.artifacts}"
base="http://127.0.0.1:$PORT"

if ! curl -sf "$base/healthz" >/dev/null 2>&1; then
  echo "[quickstart] starting API and worker (logs: .run/quarantine.log)"
  nohup bash scripts/start.sh > .run/quarantine.log 2>&1 &
  echo $! > .run/quarantine.pid
fi
for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$base/readyz" >/dev/null || { echo "API did not become ready; see .run/quarantine.log" >&2; tail -30 .run/quarantine.log >&2; exit 1; }

# The CLI (docs/cli.md) waits for each verdict, showing progress, and prints the findings.
export QUARANTINE_URL="$base" QUARANTINE_API_KEY="$QUARANTINE_ADMIN_KEY"
for image in quarantine-samples/hello:latest quarantine-samples/revshell:latest; do
  echo "[quickstart] detonating $image"
  node dist/apps/cli/src/main.js submit "$image" --profile quick --wait || echo "[quickstart] $image: the CLI exited $?"
done
echo
echo "API: $base (docs at $base/docs); console: $base/ui/analyses; admin key in .run/admin-key"
echo "Stop: kill \$(cat .run/quarantine.pid)"
