/**
 * Simulated-network benchmark (npm run bench; issue 11 budget, docs/network.md): real API + worker,
 * real Redis, real Docker, real strace, real simulator.
 *  1. Latency: POST → completed for the benign hello image under `network: none` and under
 *     `network: simulated` (same limits otherwise), side by side, alternating, median of N (15).
 *     Budget: simulated at most 100 ms slower.
 *  2. Throughput: N hello submissions per mode, worker concurrency 2, analyses per minute.
 *     Budget: simulated at least 85 % of none's.
 * Also the median create/start phase times from the reports, where the simulator's cost lands, and
 * the simulator's own life cycle phase by phase with its CPU per analysis (netsim-simulators.bench.ts).
 * Writes bench/results/network.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { client, startStack } from '../test/support/stack.js';
import { median, submitAndWait } from './support.js';

const IMAGE = 'quarantine-samples/hello:latest';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const THROUGHPUT_N = Number(process.env.BENCH_NET_THROUGHPUT ?? 30);
const MODES = ['none', 'simulated'] as const;
type Mode = (typeof MODES)[number];


async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  // The simulator alone first (its own process tree and cgroup), while nothing else of ours runs.
  execFileSync('npx', ['tsx', 'bench/netsim-simulators.bench.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const simulators = JSON.parse(readFileSync('bench/results/netsim-simulators.json', 'utf8')) as Record<string, unknown>;
  const profiles = e2eProfilesDir('10s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  for (const mode of MODES) {
    writeFileSync(
      join(profiles, `bench-net-${mode}.yaml`),
      [`name: bench-net-${mode}`, 'runtime: runc', 'probe: strace', `network: ${mode}`, 'limits:', '  memory: 256m', '  pids: 128', '  window: 10s', 'rules:', `  - ${rules}`, ''].join('\n'),
    );
  }
  const stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '2', LOG_FORMAT: 'json' } });
  const api = client(stack);
  const once = async (mode: Mode) => {
    const { ms, done } = await submitAndWait(api, { image: IMAGE, profile: `bench-net-${mode}` });
    if (done.verdict !== 'clean') throw new Error(`hello came out ${done.verdict} under network ${mode}: ${done.error ?? ''}`);
    const report = (await api.call('GET', `/v1/analyses/${done.id}/report`)).json;
    return { ms, createMs: report.timings.createMs as number, startMs: report.timings.startMs as number };
  };
  try {
    for (let i = 0; i < 2; i++) for (const m of MODES) await once(m); // warm-up: rules compiled, image cache hot
    const lat: Record<Mode, { ms: number[]; createMs: number[]; startMs: number[] }> = { none: { ms: [], createMs: [], startMs: [] }, simulated: { ms: [], createMs: [], startMs: [] } };
    for (let i = 0; i < RUNS; i++) {
      for (const m of i % 2 ? [...MODES].reverse() : MODES) {
        const r = await once(m);
        lat[m].ms.push(r.ms);
        lat[m].createMs.push(r.createMs);
        lat[m].startMs.push(r.startMs);
      }
    }
    // Throughput in alternating rounds (the machine's load drifts; both modes see the same drift).
    const ROUNDS = 3;
    const elapsed: Record<Mode, number> = { none: 0, simulated: 0 };
    const count: Record<Mode, number> = { none: 0, simulated: 0 };
    const phases: Record<Mode, Record<string, number[]>> = { none: {}, simulated: {} };
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of r % 2 ? [...MODES].reverse() : MODES) {
        const n = Math.ceil(THROUGHPUT_N / ROUNDS);
        const t0 = performance.now();
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push((await api.submit({ image: IMAGE, profile: `bench-net-${m}` })).json.id);
        for (const id of ids) {
          const a = await api.waitDone(id, 300_000);
          if (a.verdict !== 'clean') throw new Error(`hello came out ${a.verdict} under network ${m}: ${a.error ?? ''}`);
        }
        elapsed[m] += performance.now() - t0;
        count[m] += n;
        for (const id of ids) {
          const t = (await api.call('GET', `/v1/analyses/${id}/report`)).json.timings as Record<string, number>;
          for (const [k, v] of Object.entries(t)) (phases[m][k] ??= []).push(v);
        }
      }
    }
    const perMinute: Record<Mode, number> = { none: count.none / (elapsed.none / 60_000), simulated: count.simulated / (elapsed.simulated / 60_000) };
    const phaseMedians = (m: Mode) => Object.fromEntries(Object.entries(phases[m]).map(([k, v]) => [k, Math.round(median(v))]));
    const med = (m: Mode, k: 'ms' | 'createMs' | 'startMs') => Math.round(median(lat[m][k]));
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      image: IMAGE,
      latency: {
        runs: RUNS,
        noneMedianMs: med('none', 'ms'),
        simulatedMedianMs: med('simulated', 'ms'),
        extraMs: med('simulated', 'ms') - med('none', 'ms'),
        budgetExtraMs: 100,
        phases: { none: { createMs: med('none', 'createMs'), startMs: med('none', 'startMs') }, simulated: { createMs: med('simulated', 'createMs'), startMs: med('simulated', 'startMs') } },
        noneMs: lat.none.ms.map(Math.round),
        simulatedMs: lat.simulated.ms.map(Math.round),
      },
      throughput: {
        submissions: count.none,
        rounds: ROUNDS,
        concurrency: 2,
        phaseMediansMs: { none: phaseMedians('none'), simulated: phaseMedians('simulated') },
        nonePerMinute: Math.round(perMinute.none),
        simulatedPerMinute: Math.round(perMinute.simulated),
        ratio: Number((perMinute.simulated / perMinute.none).toFixed(2)),
        budgetRatio: 0.85,
      },
      simulators,
    };
    writeFileSync('bench/results/network.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack.stop();
  }
}

await main();
