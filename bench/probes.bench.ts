/**
 * Probe overhead benchmark (npm run bench): the syscall-heavy sample (quarantine-samples/
 * syscall-storm: 200,000 open/read/close/stat/getppid calls, timed inside the sandbox) with no
 * probe (plain `docker run`, same limits) and under each probe this build runs, alternating, median
 * of N. Reports slowdown, events captured per second and events lost.
 * Writes bench/results/probes.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { PROBES } from '../libs/core/src/profiles/probes.js';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { client, startStack } from '../test/support/stack.js';
import { median } from './support.js';

const IMAGE = 'quarantine-samples/syscall-storm:latest';
const RUNS = Number(process.env.BENCH_PROBE_RUNS ?? 5);
const only = process.env.BENCH_PROBES?.split(',');
/** Falco and Tracee only ingest what host sensors wrote; they cannot run on this machine. */
const INGEST_ONLY = new Set(['falco', 'tracee']);


function innerMs(stdout: string): number {
  const m = /in ([\d.]+) ms/.exec(stdout);
  if (!m) throw new Error(`syscall-storm printed no timing: ${stdout.slice(0, 200)}`);
  return Number(m[1]);
}

function plainRun(): number {
  const out = execFileSync('docker', ['run', '--rm', '--network', 'none', '--init', '--pids-limit', '32', '--memory', '64m', IMAGE], { encoding: 'utf8' });
  return innerMs(out);
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const probes = PROBES.filter((p) => (only ? only.includes(p) : !INGEST_ONLY.has(p)));
  const stack = await startStack({ db: 14, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('60s', '512m'), WORKER_CONCURRENCY: '1' } });
  const api = client(stack);
  const results: Record<string, { innerMs: number[]; events: number[]; eventsPerSecond: number[]; lost: number[]; verdicts: string[] }> = {};
  const baseline: number[] = [];
  try {
    plainRun(); // warm-up
    for (let i = 0; i < RUNS; i++) {
      baseline.push(plainRun());
      for (const probe of probes) {
        const sub = await api.submit({ image: IMAGE, profile: 'default', probe });
        const a = await api.waitDone(sub.json.id, 180_000);
        const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
        const r = (results[probe] ??= { innerMs: [], events: [], eventsPerSecond: [], lost: [], verdicts: [] });
        r.verdicts.push(a.verdict);
        if (!report?.output?.stdout) continue;
        r.innerMs.push(innerMs(report.output.stdout));
        r.events.push(report.probe.events);
        r.eventsPerSecond.push(Math.round(report.probe.events / (report.timings.runMs / 1000)));
        r.lost.push(report.probe.lost);
      }
    }
  } finally {
    await stack.stop();
  }
  const base = median(baseline);
  const table = Object.fromEntries(
    Object.entries(results).map(([probe, r]) => [
      probe,
      {
        medianInnerMs: Math.round(median(r.innerMs)),
        slowdown: Number((median(r.innerMs) / base).toFixed(2)),
        eventsMedian: median(r.events),
        eventsPerSecondMedian: median(r.eventsPerSecond),
        lostMax: Math.max(0, ...r.lost),
        verdicts: r.verdicts,
      },
    ]),
  );
  const result = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, image: IMAGE, runs: RUNS, noProbeMedianInnerMs: Math.round(base), baselineMs: baseline.map(Math.round), probes: table, target: { slowdown: 1.3, lost: 0 } };
  writeFileSync('bench/results/probes.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

await main();
