/**
 * Orchestration benchmark (npm run bench): real API + worker processes, real Redis, real Docker,
 * real probes. Issue 17's measures, side by side in one run with plain `docker run --rm` of the same
 * image, alternating:
 *  1. POST → `completed` for the hello image, median of N, with the shipped `default` profile
 *     (ebpf from the first syscall, simulated network, lures, stimulation) and the `e2e` profile
 *     (strace, network none), against `docker run --rm --network none`, and against the same
 *     detonation by hand (docker create/cp/start + strace -p + SIGCONT + wait + rm).
 *  2. Where the milliseconds go: each run's report timings (per phase), the queue wait, and what is
 *     left around the phases (API, queue, storage, the completion event).
 *  3. Throughput: N submissions, worker concurrency 2, against plain `docker run --rm` two at a time.
 * `completed` is observed through BullMQ's queue events (a blocking Redis stream read), not by
 * polling the API, so the bench adds no load of its own while an analysis runs.
 *
 * A/B: BENCH_BASELINE_DIR=<a checkout with a built dist/> (scripts/bench-baseline.sh builds one
 * from git) runs that build's API + worker beside this one's, alternating run by run; the result
 * has a `baseline` block with the same measures. Writes bench/results/orchestration.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { STRACE_ARGS } from '../libs/sandbox/src/probes/strace-args.js';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { testRedisUrl } from '../test/support/redis.js';
import { client, type Stack, startStack } from '../test/support/stack.js';
import { median } from './support.js';

const IMAGE = 'quarantine-samples/hello:latest';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const THROUGHPUT_N = Number(process.env.BENCH_THROUGHPUT ?? 50);
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR?.trim() || undefined;
const BY_HAND = process.env.BENCH_BY_HAND !== '0';
const PHASES = ['resolveMs', 'createMs', 'startMs', 'attachMs', 'runMs', 'collectMs', 'analyzeMs'] as const;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

/** The same detonation a person would run by hand with the docker CLI and strace. */
async function byHand(work: string, i: number): Promise<number> {
  const t0 = performance.now();
  const name = `quarantine-bench-manual-${process.pid}-${i}`;
  sh('docker', ['create', '--name', name, '--init', '--network', 'none', '--security-opt', 'no-new-privileges', '--pids-limit', '128', '--memory', '256m', '--entrypoint', '/.quarantine/hold', IMAGE, '/usr/local/bin/hello']);
  try {
    execFileSync('docker', ['cp', '-', `${name}:/`], { input: readFileSync('dist/assets/hold.tar') });
    sh('docker', ['start', name]);
    const initPid = sh('docker', ['inspect', '-f', '{{.State.Pid}}', name]);
    let pid = '';
    for (let k = 0; k < 1000 && !pid; k++) {
      pid = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim().split(/\s+/)[0] ?? '';
      if (!pid) await new Promise((r) => setTimeout(r, 2));
    }
    const trace = join(work, `${name}.trace`);
    const strace = spawn('strace', [...STRACE_ARGS, '-o', trace, '-p', pid], { stdio: 'ignore' });
    for (let k = 0; k < 2000; k++) {
      if (/TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    process.kill(Number(pid), 'SIGCONT');
    sh('docker', ['wait', name]);
    await new Promise((r) => strace.once('exit', r));
  } finally {
    sh('docker', ['rm', '-f', name]);
  }
  return performance.now() - t0;
}

function plainRun(): Promise<number> {
  const t = performance.now();
  return new Promise<number>((resolve, reject) => spawn('docker', ['run', '--rm', '--network', 'none', IMAGE], { stdio: 'ignore' })
    .once('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`docker run exited ${code}`)))));
}

/** Plain `docker run --rm`, two at a time: runs per minute. */
async function plainThroughput(n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i += 2) await Promise.all([plainRun(), plainRun()]);
  return n / ((performance.now() - t) / 60_000);
}

interface Variant {
  name: 'current' | 'baseline';
  stack: Stack;
  api: ReturnType<typeof client>;
  events: QueueEvents;
  /** Detonate jobs that finished (completed or failed), by job id → time seen. */
  finished: Map<string, number>;
  waiters: Map<string, () => void>;
}

async function variant(name: Variant['name'], db: number, cwd: string | undefined, profilesDir: string): Promise<Variant> {
  const stack = await startStack({ db, workers: 1, cwd, env: { PROFILES_DIR: profilesDir, WORKER_CONCURRENCY: '2', LOG_FORMAT: 'json' } });
  const events = new QueueEvents('analysis', { connection: { url: testRedisUrl(db) }, prefix: 'q:bull' });
  await events.waitUntilReady();
  const v: Variant = { name, stack, api: client(stack), events, finished: new Map(), waiters: new Map() };
  const seen = ({ jobId }: { jobId: string }) => {
    v.finished.set(jobId, performance.now());
    v.waiters.get(jobId)?.();
  };
  events.on('completed', seen);
  events.on('failed', seen);
  return v;
}

/**
 * POST, then wait for the detonate job's completion event (no polling). POST → `completed` is when
 * the worker stored the record as completed (its `finishedAt`, same clock): what a client reading the
 * analysis sees; `jobMs` is when the job itself ended (after the notifier, metrics and the sandbox's
 * removal, which runs on while the report is stored).
 */
async function detonate(v: Variant, profile: string): Promise<{ ms: number; jobMs: number; rec: any; postMs: number; epoch0: number }> {
  const epoch0 = Date.now();
  const t0 = performance.now();
  const res = await v.api.submit({ image: IMAGE, profile });
  if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${res.text}`);
  const postMs = performance.now() - t0;
  const jobId = `detonate-${res.json.id}`;
  await waitJob(v, jobId, 120_000);
  const jobMs = v.finished.get(jobId)! - t0;
  const rec = (await v.api.get(res.json.id)).json;
  const ms = Date.parse(rec.finishedAt) - epoch0;
  return { ms, jobMs, rec, postMs, epoch0 };
}

function waitJob(v: Variant, jobId: string, timeoutMs: number): Promise<void> {
  if (v.finished.has(jobId)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${jobId} did not finish within ${timeoutMs} ms`)), timeoutMs);
    v.waiters.set(jobId, () => {
      clearTimeout(t);
      v.waiters.delete(jobId);
      resolve();
    });
  });
}

interface PhaseRow { [k: string]: number }

/** One run's phases from its report, plus the queue wait and what the phases do not cover. */
async function phasesOf(v: Variant, d: { rec: any; ms: number; jobMs: number; epoch0: number }): Promise<PhaseRow> {
  const { rec, ms } = d;
  const report = (await v.api.call('GET', `/v1/analyses/${rec.id}/report`)).json;
  const t = report?.timings ?? {};
  const row: PhaseRow = {};
  for (const p of PHASES) row[p] = t[p] ?? NaN;
  row.inPhasesMs = PHASES.reduce((s, p) => s + (t[p] ?? 0), 0);
  // POST → record created → job started (queue) → phases and the worker's work between them → record
  // `completed` (finishedAt) → the job's completion event (admission verdict, BullMQ, event read).
  row.toCreatedMs = Date.parse(rec.createdAt) - d.epoch0;
  row.queueMs = Date.parse(rec.startedAt) - Date.parse(rec.createdAt);
  row.workerOutsidePhasesMs = Date.parse(rec.finishedAt) - Date.parse(rec.startedAt) - row.inPhasesMs;
  row.jobDoneAfterCompletedMs = d.jobMs - ms;
  row.postToCompletedMs = ms;
  row.aroundMs = ms - row.inPhasesMs;
  return row;
}

function medians(rows: PhaseRow[]): PhaseRow {
  const out: PhaseRow = {};
  for (const k of Object.keys(rows[0] ?? {})) out[k] = Math.round(median(rows.map((r) => r[k]!)));
  return out;
}

async function throughput(v: Variant, profile: string, n: number): Promise<{ perMinute: number; verdicts: Record<string, number> }> {
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await v.api.submit({ image: IMAGE, profile });
    if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${res.text}`);
    ids.push(res.json.id);
  }
  await Promise.all(ids.map((id) => waitJob(v, `detonate-${id}`, 600_000)));
  const perMinute = n / ((performance.now() - t0) / 60_000);
  const verdicts: Record<string, number> = {};
  for (const id of ids) {
    const a = (await v.api.get(id)).json;
    verdicts[a.verdict] = (verdicts[a.verdict] ?? 0) + 1;
  }
  return { perMinute, verdicts };
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'q-bench-'));
  const entry = JSON.parse(sh('docker', ['image', 'inspect', '-f', '{{json .Config.Entrypoint}}', IMAGE]));
  if (!Array.isArray(entry) || entry[0] !== '/usr/local/bin/hello') throw new Error(`unexpected entrypoint of ${IMAGE}: ${JSON.stringify(entry)}`);
  const profilesDir = e2eProfilesDir('10s');
  const load0 = loadavg();
  const variants: Variant[] = [await variant('current', 14, undefined, profilesDir)];
  if (BASELINE_DIR) variants.push(await variant('baseline', 13, BASELINE_DIR, profilesDir));
  try {
    for (const v of variants) for (let i = 0; i < 2; i++) for (const p of ['e2e', 'default']) await detonate(v, p); // warm-up
    if (BY_HAND) await byHand(work, -1);
    await plainRun();
    const plain: number[] = [];
    const manual: number[] = [];
    const rows: Record<string, Record<string, PhaseRow[]>> = Object.fromEntries(variants.map((v) => [v.name, { e2e: [], default: [] }]));
    for (let i = 0; i < RUNS; i++) {
      // Alternate: each variant with each profile, plain docker run between them.
      for (const profile of ['default', 'e2e'] as const) {
        for (const v of i % 2 ? [...variants].reverse() : variants) {
          const d = await detonate(v, profile);
          if (d.rec.verdict !== 'clean') throw new Error(`${v.name}: hello came out ${d.rec.verdict} under the ${profile} profile`);
          rows[v.name]![profile]!.push(await phasesOf(v, d));
        }
        plain.push(await plainRun());
      }
      if (BY_HAND) manual.push(await byHand(work, i));
    }
    const plainMs = median(plain);
    const overheadOf = (name: string) => {
      const r = rows[name]!;
      const def = median(r.default!.map((x) => x.postToCompletedMs!));
      const str = median(r.e2e!.map((x) => x.postToCompletedMs!));
      return {
        default: { profile: 'default (ebpf, simulated network, lures, stimulation)', medianMs: Math.round(def), ratioToPlainDockerRun: Number((def / plainMs).toFixed(2)), phases: medians(r.default!), runsMs: r.default!.map((x) => Math.round(x.postToCompletedMs!)) },
        strace: { profile: 'e2e (strace, network none)', medianMs: Math.round(str), ratioToPlainDockerRun: Number((str / plainMs).toFixed(2)), phases: medians(r.e2e!), runsMs: r.e2e!.map((x) => Math.round(x.postToCompletedMs!)) },
      };
    };

    // Throughput in blocks of BLOCK submissions, the variants and profiles alternating with plain
    // `docker run --rm` two at a time, so a busy machine's swings hit every side alike.
    const BLOCK = Math.min(10, THROUGHPUT_N);
    const acc: Record<string, Record<'default' | 'strace', { n: number; ms: number; verdicts: Record<string, number> }>> = {};
    for (const v of variants) acc[v.name] = { default: { n: 0, ms: 0, verdicts: {} }, strace: { n: 0, ms: 0, verdicts: {} } };
    const plainRates: number[] = [];
    for (let done = 0, round = 0; done < THROUGHPUT_N; done += BLOCK, round++) {
      const n = Math.min(BLOCK, THROUGHPUT_N - done);
      for (const v of round % 2 ? [...variants].reverse() : variants) {
        for (const [key, profile] of [['default', 'default'], ['strace', 'e2e']] as const) {
          const t = performance.now();
          const r = await throughput(v, profile, n);
          const a = acc[v.name]![key];
          a.n += n;
          a.ms += performance.now() - t;
          for (const [k, c] of Object.entries(r.verdicts)) a.verdicts[k] = (a.verdicts[k] ?? 0) + c;
        }
      }
      plainRates.push(await plainThroughput(n % 2 ? n + 1 : n));
    }
    const plainPerMinute = median(plainRates);
    const tp: Record<string, { default: { perMinute: number; verdicts: Record<string, number> }; strace: { perMinute: number; verdicts: Record<string, number> } }> = {};
    for (const v of variants) {
      const a = acc[v.name]!;
      tp[v.name] = { default: { perMinute: a.default.n / (a.default.ms / 60_000), verdicts: a.default.verdicts }, strace: { perMinute: a.strace.n / (a.strace.ms / 60_000), verdicts: a.strace.verdicts } };
    }
    const tpOf = (name: string) => ({
      default: { analysesPerMinute: Math.round(tp[name]!.default.perMinute), ofPlain: Number((tp[name]!.default.perMinute / plainPerMinute).toFixed(2)), verdicts: tp[name]!.default.verdicts },
      strace: { analysesPerMinute: Math.round(tp[name]!.strace.perMinute), ofPlain: Number((tp[name]!.strace.perMinute / plainPerMinute).toFixed(2)), verdicts: tp[name]!.strace.verdicts },
    });

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      loadAverage: { start: load0.map((x) => Number(x.toFixed(2))), end: loadavg().map((x) => Number(x.toFixed(2))) },
      image: IMAGE,
      runs: RUNS,
      completionSeenBy: 'BullMQ queue event (completed), no polling',
      plainDockerRun: { medianMs: Math.round(plainMs), runsMs: plain.map(Math.round), perMinuteTwoAtATime: Math.round(plainPerMinute), perMinuteSamples: plainRates.map(Math.round) },
      ...(BY_HAND ? { byHand: { what: 'docker create/cp/start + strace -p + SIGCONT + wait + rm', medianMs: Math.round(median(manual)), straceProfileRatio: Number((median(rows.current!.e2e!.map((x) => x.postToCompletedMs!)) / median(manual)).toFixed(2)) } } : {}),
      current: { overhead: overheadOf('current'), throughput: { submissions: THROUGHPUT_N, concurrency: 2, ...tpOf('current') } },
      ...(BASELINE_DIR ? { baseline: { dir: BASELINE_DIR, overhead: overheadOf('baseline'), throughput: { submissions: THROUGHPUT_N, concurrency: 2, ...tpOf('baseline') } } } : {}),
      targets: { postToCompletedRatio: 1.1, throughputOfPlain: 0.95 },
    };
    writeFileSync('bench/results/orchestration.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const v of variants) {
      await v.events.close();
      await v.stack.stop();
    }
    rmSync(work, { recursive: true, force: true });
    rmSync(profilesDir, { recursive: true, force: true });
  }
}

await main();
