#!/usr/bin/env bash
# The whole test suite, exactly as on a fresh CI machine: installs and starts what is missing
# (Redis, dockerd, runsc, strace, gcc, busybox-static), installs and builds the project, builds the
# sample images locally, then runs unit, integration (real Redis + Docker) and e2e tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-deps.sh
bash scripts/install.sh
bash test/samples/build.sh >/dev/null
bash test/samples/debian/build.sh >/dev/null   # Debian service images for test/e2e/realworld (cold ~2 min, warm < 1 s)
export NODE_OPTIONS=--experimental-vm-modules
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${TEST_REDIS_PORT:-6379}/9}"
status=0
echo "[test] typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo "[test] import cycles (dpdm; type-only imports count too)" >&2
npm run -s check:cycles >/dev/null || { npm run -s check:cycles 2>&1 | tail -20 >&2; status=1; }
npx jest "$@" --selectProjects unit || status=$?
npx jest "$@" --runInBand --forceExit --selectProjects integration e2e || status=$?
bash scripts/test-k8s.sh || status=$?   # real-cluster suite: runs only with KUBECONFIG, says "skipped" otherwise
if docker ps -aq --filter label=org.quarantine.managed=true | grep -q .; then
  echo "test.sh: sandboxes were left behind:" >&2
  docker ps -a --filter label=org.quarantine.managed=true >&2
  status=1
fi
exit $status
