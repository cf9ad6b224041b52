/**
 * Network simulator life cycle, on its own (npm run bench; docs/network.md): what one analysis'
 * simulator costs, phase by phase, without Docker in the way. Real simulators (dist/assets/netsim),
 * real namespaces; each cycle's "sandbox" is a `unshare --net sleep` process.
 *   start (a simulator serving in a namespace of its own) → lease → attach (the sample's end of the
 *   link moved in and set up) → health → stop
 * Wall time per phase (median), sequentially and two at a time (as a worker with concurrency 2), and
 * the CPU time of the whole process tree per cycle (a cpuacct cgroup of its own, so every helper
 * process is counted: the zygote and its children, or the shells and `ip`s of older designs).
 * Writes bench/results/netsim-simulators.json (merged into network.json's `simulators` by network.bench.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkSimulator } from '../libs/sandbox/src/network/simulated-network.js';
import { median } from './support.js';

const CYCLES = Number(process.env.BENCH_NETSIM_CYCLES ?? 40);
const PHASES = ['start', 'lease', 'attach', 'health', 'stop'] as const;
type Phase = (typeof PHASES)[number];

async function cycle(assetsDir: string, dir: string, i: number): Promise<Record<Phase, number>> {
  const box = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
  const t: Partial<Record<Phase, number>> = {};
  let t0 = performance.now();
  const sim = await NetworkSimulator.start({ assetsDir }, { lifetimeSeconds: 60 });
  t.start = performance.now() - t0;
  try {
    t0 = performance.now();
    await sim.lease({ analysisId: `bench-${i}`, capturePath: join(dir, `network-${i}.ndjson`), lifetimeSeconds: 60 });
    t.lease = performance.now() - t0;
    // The sandbox's namespace must exist (unshare has run) before it can be joined.
    for (let k = 0; k < 200 && readFileSync(`/proc/${box.pid}/cmdline`, 'utf8').startsWith('unshare'); k++) await new Promise((r) => setTimeout(r, 1));
    t0 = performance.now();
    await sim.attach(box.pid!);
    t.attach = performance.now() - t0;
    t0 = performance.now();
    const h = await sim.health();
    if (!h.healthy) throw new Error(`simulator unhealthy: ${h.error}`);
    t.health = performance.now() - t0;
  } finally {
    t0 = performance.now();
    await sim.stop();
    t.stop = performance.now() - t0;
    box.kill('SIGKILL');
  }
  return t as Record<Phase, number>;
}

async function child(): Promise<void> {
  const assetsDir = join(process.cwd(), 'dist', 'assets', 'netsim');
  const dir = mkdtempSync(join(tmpdir(), 'q-netsim-bench-'));
  for (let i = 0; i < 3; i++) await cycle(assetsDir, dir, -1 - i); // warm-up (a zygote starts once)
  const seq: Record<Phase, number>[] = [];
  for (let i = 0; i < CYCLES; i++) seq.push(await cycle(assetsDir, dir, i));
  const par: Record<Phase, number>[] = [];
  for (let i = 0; i < CYCLES; i += 2) par.push(...(await Promise.all([cycle(assetsDir, dir, 1000 + i), cycle(assetsDir, dir, 1001 + i)])));
  const med = (rows: Record<Phase, number>[]) => Object.fromEntries(PHASES.map((p) => [p, Number(median(rows.map((r) => r[p])).toFixed(1))]));
  process.stdout.write(`${JSON.stringify({ sequentialMs: med(seq), concurrent2Ms: med(par), cycles: seq.length + par.length + 3 })}\n`);
}

async function main(): Promise<void> {
  // cgroup v1 cpuacct (this host) or v2: a group of our own for the child and all it starts.
  const v1 = '/sys/fs/cgroup/cpuacct';
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : undefined;
  const root = existsSync(join(v1, 'cpuacct.usage')) ? v1 : v2;
  const group = root ? join(root, `quarantine-netsim-bench-${process.pid}`) : undefined;
  if (group) mkdirSync(group);
  const usage = () => (!group ? NaN : root === v1 ? Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8')) / 1e6 : Number(/usage_usec (\d+)/.exec(readFileSync(join(group, 'cpu.stat'), 'utf8'))![1]) / 1e3);
  try {
    const c = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--child'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NETSIM_BENCH_CGROUP: group ?? '' } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => c.on('exit', r));
    if (code !== 0) throw new Error(`simulator bench failed (${code})`);
    // Everything the child started ends with it (the zygote and its simulators on EOF).
    for (let k = 0; group && k < 300 && readFileSync(join(group, 'cgroup.procs'), 'utf8').trim(); k++) await new Promise((r) => setTimeout(r, 10));
    const result = JSON.parse(out.trim().split('\n').pop()!) as { cycles: number } & Record<string, unknown>;
    const cpuMs = usage();
    const summary = { date: new Date().toISOString(), ...result, cpuMsPerCycle: Number((cpuMs / result.cycles).toFixed(1)), note: 'cpu: the bench process tree (node included) per cycle, from its own cgroup' };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/netsim-simulators.json', `${JSON.stringify(summary, null, 2)}\n`);
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    if (group) rmdirSync(group);
  }
}

if (process.argv.includes('--child')) {
  const group = process.env.NETSIM_BENCH_CGROUP;
  if (group) writeFileSync(join(group, 'cgroup.procs'), `${process.pid}\n`);
  await child();
  process.exit(0);
} else {
  await main();
}
