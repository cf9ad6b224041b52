#!/usr/bin/env bash
# npm start: the API and the worker side by side; stops both when either stops or on Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/.."
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
