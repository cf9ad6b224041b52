#!/usr/bin/env bash
# npm start: the API and the worker as two child processes of this script (built first: npm run
# build); stops both when either stops or on Ctrl-C/TERM. Needs Redis (REDIS_URL, default
# redis://127.0.0.1:6379) and, for detonations, Docker. Without QUARANTINE_ADMIN_KEY, a key is
# generated once into .run/admin-key (mode 600) and used.
set -uo pipefail
cd "$(dirname "$0")/.."
for f in dist/apps/api/src/main.js dist/apps/worker/src/main.js dist/assets/hold; do
  [ -e "$f" ] || { echo "start: $f is missing: run npm run build first" >&2; exit 2; }
done
if [ -z "${QUARANTINE_ADMIN_KEY:-}" ]; then
  mkdir -p .run
  [ -s .run/admin-key ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=' > .run/admin-key)
  QUARANTINE_ADMIN_KEY=$(cat .run/admin-key)
  export QUARANTINE_ADMIN_KEY
  echo "start: QUARANTINE_ADMIN_KEY not set; using the key in .run/admin-key" >&2
fi
node dist/apps/api/src/main.js &
api=$!
node dist/apps/worker/src/main.js &
worker=$!
trap 'kill -TERM $api $worker 2>/dev/null; wait' INT TERM
wait -n $api $worker
status=$?
kill -TERM $api $worker 2>/dev/null
wait
exit $status
