#!/usr/bin/env bash
# The Kubernetes runtime against a real cluster (kind, k3s, …): full detonations in throw-away
# namespaces. Runs only when KUBECONFIG is set; otherwise says so and succeeds. See README,
# "Kubernetes runtime" → "Real-cluster test suite" for the images the cluster needs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KUBECONFIG:-}" ]; then
  echo "[test:k8s] skipped: KUBECONFIG not set (real-cluster suite for the Kubernetes runtime; see docs/kubernetes.md)" >&2
  exit 0
fi
echo "[test:k8s] running against $(kubectl config current-context 2>/dev/null || echo "the cluster in $KUBECONFIG")" >&2
NODE_OPTIONS=--experimental-vm-modules npx jest --config test/k8s/jest.config.js --runInBand --forceExit "$@"
