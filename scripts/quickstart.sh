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

auth="Authorization: Bearer $QUARANTINE_ADMIN_KEY"
detonate() {
  local image=$1
  local id
  id=$(curl -sf -H "$auth" -H 'content-type: application/json' -d "{\"image\":\"$image\",\"profile\":\"quick\"}" "$base/v1/analyses" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
  echo "[quickstart] detonating $image (analysis $id)"
  for _ in $(seq 1 300); do
    body=$(curl -sf -H "$auth" "$base/v1/analyses/$id")
    case "$body" in *'"status":"completed"'*|*'"status":"failed"'*|*'"status":"cancelled"'*) break;; esac
    sleep 0.2
  done
  echo "$body" | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
      const a=JSON.parse(s);
      console.log(`  ${a.image}: verdict ${a.verdict} (score ${a.score}, status ${a.status})${a.error?" — "+a.error:""}`);
      for (const f of a.findings.slice(0,5)) console.log(`    - [${f.priority}] ${f.rule} ×${f.count} (+${f.points}): ${f.output}`);
    })'
}
detonate quarantine-samples/hello:latest
detonate quarantine-samples/revshell:latest
echo
echo "API: $base (docs at $base/docs); admin key in .run/admin-key"
echo "Stop: kill \$(cat .run/quarantine.pid)"
