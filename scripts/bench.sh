#!/usr/bin/env bash
# npm run bench: benchmarks (not tests). Results in bench/results/*.json; README shows the latest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-deps.sh
bash scripts/install.sh
bash test/samples/build.sh >/dev/null
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}"
echo "== orchestration (overhead, throughput; A/B against the build before issue 17's speed work)"
# BENCH_BASELINE_DIR= (empty) skips the baseline; scripts/bench-baseline.sh REV builds another one.
BENCH_BASELINE_DIR="${BENCH_BASELINE_DIR-$(bash scripts/bench-baseline.sh)}" npx tsx bench/orchestration.bench.ts
echo "== lures, disguise and stimulation (hello: POST → completed with and without)"
npx tsx bench/lures.bench.ts
echo "== simulated network (POST -> completed and throughput, network none vs simulated)"
npx tsx bench/network.bench.ts
echo "== probes (slowdown of a syscall-heavy sample, events/s, lost)"
npx tsx bench/probes.bench.ts
if [ -f bench/rules.bench.ts ]; then
  echo "== rule engine"
  node --max-old-space-size=4096 --import tsx bench/rules.bench.ts
fi
echo "== static image checks (per image before the sandbox: inspect + history + export scan, median)"
npx tsx bench/static.bench.ts
echo "== probe-output parsing (events/s out of the strace and gVisor parsers, captured traces)"
node --import tsx bench/trace-parse.bench.ts
echo "== state tracker (events/s through StateTracker.push, captured traces)"
node --import tsx bench/state-tracker.bench.ts
echo "== network analysis (captures/s: read, correlate, lure search, rules)"
node --import tsx bench/network-analysis.bench.ts
echo "== run integrity (a look at a sandbox; window extension and dormancy decisions)"
npx tsx bench/integrity.bench.ts
echo "== disk limit (create + start with and without StorageOpt size; disk-fill write rate until the limit)"
npx tsx bench/disk.bench.ts
echo "== webhooks (fan-out latency, deliveries/s, signing)"
npx tsx bench/webhooks.bench.ts
echo "== API hardening (authenticated latency with the failed-auth throttle, 401s before 429, Redis hung and killed: time to 503 and to recovery)"
npx tsx bench/api-hardening.bench.ts
echo "== admission webhook (latency p50/p99 and throughput, warm cache; Redis hung and killed)"
npx tsx bench/admission.bench.ts
echo "== signed verdict attestations (sign; sign + attach to the local registry per analysis, median; verify; admission check)"
npx tsx bench/attestation.bench.ts
echo "== ownership (quota reservation, audit append and query, minimum-interval check)"
npx tsx bench/ownership.bench.ts
echo "== hardening (syscall recording per event, profile/policy generation, a generated seccomp profile's cost per syscall)"
npx tsx bench/hardening.bench.ts
echo "== retention (Redis bytes and artifact bytes per analysis and per event; sweep rate)"
npx tsx bench/retention.bench.ts
echo "== vulnerability reports (parse + normalize of 20,000-finding Trivy/Grype/Clair reports, stored bytes) and the Harbor report"
npx tsx bench/vulnerability-reports.bench.ts
echo "== registries (push → analysis queued through Distribution notifications; registry-events throughput; tag resolution anonymous / Basic / Bearer)"
npx tsx bench/registries.bench.ts
