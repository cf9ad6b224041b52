/**
 * Admission webhook benchmark (npm run bench): the real API process (dist/) with its HTTPS admission
 * listener on loopback, real Redis. Open-loop load (requests are sent on a fixed schedule whatever the
 * server does, latency counted from the scheduled time, so queueing is not hidden) over keep-alive
 * TLS connections:
 *  1. warm cache: Deployment reviews (3 images, clean digests already in the in-process cache) at
 *     BENCH_ADMISSION_RPS (1,000/s) for BENCH_ADMISSION_SECONDS (10 s), BENCH_ADMISSION_RUNS (3) times:
 *     p50/p90/p99/max, throughput, server CPU per review; the headline is the median run by p99.
 *  2. Redis unreachable (a private redis-server, never the shared one): killed, then hung (SIGSTOP):
 *     reviews of never-seen digests; every answer must be a denial within the budget.
 * The load generator runs on the same 2-core machine as the server (and as anything else running).
 * Writes bench/results/admission.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AnalysisRepository } from '../libs/core/src/storage/analysis.repository.js';
import { fixture, selfSignedCert } from '../test/support/admission.js';
import { type Stack, startStack, waitFor } from '../test/support/stack.js';
import { freeLoopbackPort } from '../test/support/ports.js';

const RPS = Number(process.env.BENCH_ADMISSION_RPS ?? 1000);
const SECONDS = Number(process.env.BENCH_ADMISSION_SECONDS ?? 10);
const DB = Number(process.env.BENCH_ADMISSION_DB ?? 18);
const BUDGET = 200;
const RUNS = Number(process.env.BENCH_ADMISSION_RUNS ?? 3);

const hex = (n: number, c = 'a') => `sha256:${n.toString(16).padStart(8, '0')}${c.repeat(56)}`;


interface Boot {
  stack: Stack;
  port: number;
  ca: string;
  dir: string;
}

async function boot(env: NodeJS.ProcessEnv): Promise<Boot> {
  const dir = mkdtempSync(join(tmpdir(), 'q-adm-bench-'));
  const tls = selfSignedCert(dir);
  const port = await freeLoopbackPort();
  const stack = await startStack({ db: DB, workers: 0, env: { ADMISSION_TLS_CERT: tls.cert, ADMISSION_TLS_KEY: tls.key, ADMISSION_PORT: String(port), ADMISSION_HOST: '127.0.0.1', ADMISSION_BUDGET_MS: String(BUDGET), LOG_FORMAT: 'json', ...env } });
  return { stack, port, ca: tls.pem, dir };
}

interface Result {
  sent: number;
  answered: number;
  errors: number;
  allowed: number;
  denied: number;
  latencies: number[];
  wallMs: number;
}

/** Open loop: request i is due at t0 + i/rps; latency = answer time − due time. */
async function openLoop(b: Boot, agent: Agent, rps: number, seconds: number, body: (i: number) => string): Promise<Result> {
  const total = Math.round(rps * seconds);
  const out: Result = { sent: 0, answered: 0, errors: 0, allowed: 0, denied: 0, latencies: [], wallMs: 0 };
  const bodies = Array.from({ length: Math.min(total, 500) }, (_, i) => body(i));
  const t0 = performance.now() + 50;
  let done = 0;
  await new Promise<void>((resolve) => {
    const fire = (i: number) => {
      const due = t0 + (i * 1000) / rps;
      const data = bodies[i % bodies.length];
      out.sent++;
      const req = request({ host: '127.0.0.1', port: b.port, method: 'POST', path: '/admission/validate', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          out.latencies.push(performance.now() - due);
          try {
            const j = JSON.parse(Buffer.concat(chunks).toString()) as { response?: { allowed?: boolean } };
            if (j.response?.allowed === true) out.allowed++;
            else if (j.response?.allowed === false) out.denied++;
            else out.errors++;
          } catch {
            out.errors++;
          }
          out.answered++;
          if (++done === total) resolve();
        });
      });
      req.on('error', () => {
        out.errors++;
        if (++done === total) resolve();
      });
      req.end(data);
    };
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / rps <= now) fire(next++);
      // A 1 ms timer, not a setImmediate spin: the generator must not eat the CPU the server needs.
      if (next < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 50);
  });
  out.wallMs = performance.now() - t0;
  return out;
}

/** CPU time (user + system) a process has used, ms (clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function summary(r: Result, rps: number) {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    targetRps: rps,
    sent: r.sent,
    answered: r.answered,
    errors: r.errors,
    allowed: r.allowed,
    denied: r.denied,
    throughputRps: Math.round((r.answered / r.wallMs) * 1000),
    p50Ms: r2(pct(r.latencies, 50)),
    p90Ms: r2(pct(r.latencies, 90)),
    p99Ms: r2(pct(r.latencies, 99)),
    p999Ms: r2(pct(r.latencies, 99.9)),
    maxMs: r2(Math.max(...r.latencies)),
  };
}

async function main(): Promise<void> {
  const load0 = loadavg();
  // ---- 1. warm cache ---------------------------------------------------------------------------
  const warm = await boot({});
  const repo = new AnalysisRepository(warm.stack.redis);
  const N = 300;
  for (let i = 0; i < N; i++) await repo.setVerdict({ digest: hex(i), verdict: 'clean', score: 0, rulesVersion: 'bench', analysisId: `bench-${i}`, image: 'bench', at: new Date().toISOString() });
  const review = (i: number) => JSON.stringify(fixture('deployment', { app: `quarantine-samples/app@${hex(i % N)}`, sidecar: `quarantine-samples/side@${hex((i + 1) % N)}`, init: `quarantine-samples/init@${hex((i + 2) % N)}` }));
  // Keep-alive connections, as the API server keeps them; 16 are plenty when answers take ~1 ms.
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: warm.ca });
  await waitFor(async () => (await openLoop(warm, agent, 50, 0.2, review).catch(() => null))?.allowed === 10, 10_000);
  await openLoop(warm, agent, 500, 2, review); // warm-up: JIT, connections, every digest cached
  const agentHz = new Agent({ keepAlive: false, ca: warm.ca });
  const health = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      request({ host: '127.0.0.1', port: warm.port, path: '/admission/healthz', agent: agentHz }, (res) => {
        const c: Buffer[] = [];
        res.on('data', (d: Buffer) => c.push(d));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(c).toString()) as Record<string, unknown>));
      }).end();
    });
  await health();
  // RUNS runs of SECONDS each (the machine is shared: one run can be unlucky); the headline is the median run by p99.
  const runs: (ReturnType<typeof summary> & { serverCpuMsPerRequest: number; serverCpuShareOfOneCore: number; loadavg1: number })[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cpu0 = procCpuMs(warm.stack.api.pid!);
    const w = await openLoop(warm, agent, RPS, SECONDS, review);
    const serverCpuMs = procCpuMs(warm.stack.api.pid!) - cpu0;
    runs.push({ ...summary(w, RPS), serverCpuMsPerRequest: Math.round((serverCpuMs / w.answered) * 1000) / 1000, serverCpuShareOfOneCore: Math.round((serverCpuMs / w.wallMs) * 100) / 100, loadavg1: Math.round(loadavg()[0] * 100) / 100 });
    console.log(`warm cache run ${run + 1}`, runs[run]);
  }
  // The server's own event-loop delay over its life (warm-up + runs): how much of the tail is the server process waiting for CPU or GC.
  const serverLoopDelayMs = (await health()).eventLoopDelayMs;
  agent.destroy();
  const median = [...runs].sort((a, b) => a.p99Ms - b.p99Ms)[Math.floor(runs.length / 2)];
  const warmOut = { ...median, serverLoopDelayMs, runs };
  console.log('warm cache (median run by p99)', { p50Ms: warmOut.p50Ms, p99Ms: warmOut.p99Ms, serverLoopDelayMs });
  await warm.stack.stop();
  rmSync(warm.dir, { recursive: true, force: true });

  // ---- 2. Redis unreachable ---------------------------------------------------------------------
  const rport = await freeLoopbackPort();
  const redis: ChildProcess = spawn('redis-server', ['--port', String(rport), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(`redis://127.0.0.1:${rport}`, { maxRetriesPerRequest: 1 });
  probe.on('error', () => undefined);
  await waitFor(async () => (await probe.ping().catch(() => null)) === 'PONG', 5000);
  probe.disconnect();
  const down = await boot({ REDIS_URL: `redis://127.0.0.1:${rport}` });
  let k = 0;
  const unknown = () => JSON.stringify(fixture('pod', { app: `quarantine-samples/new@${hex(1_000_000 + k++, 'd')}` }));
  // A hung Redis makes every answer take the whole budget: rps × budget requests are in flight at
  // once, so the client needs that many connections. Open them first (one burst while Redis is up).
  const sockets = Math.ceil((RPS * BUDGET) / 1000) + 50;
  const agentDown = new Agent({ keepAlive: true, maxSockets: sockets, ca: down.ca });
  await openLoop(down, agentDown, 100, 1, unknown);
  await openLoop(down, agentDown, sockets * 20, 0.05, unknown);
  process.kill(redis.pid!, 'SIGSTOP');
  const hung = await openLoop(down, agentDown, RPS, Math.max(2, SECONDS / 2), unknown);
  const hungOut = summary(hung, RPS);
  console.log('redis hung (SIGSTOP)', hungOut);
  process.kill(redis.pid!, 'SIGCONT');
  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  const dead = await openLoop(down, agentDown, RPS, Math.max(2, SECONDS / 2), unknown);
  agentDown.destroy();
  const deadOut = summary(dead, RPS);
  console.log('redis killed', deadOut);
  await down.stack.stop();
  rmSync(down.dir, { recursive: true, force: true });

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model.trim(), loadavgBefore: load0.map((x) => Math.round(x * 100) / 100), loadavgAfter: loadavg().map((x) => Math.round(x * 100) / 100) },
    method: 'open loop over keep-alive HTTPS on loopback; latency from the scheduled send time; load generator in the same machine (Node, one process)',
    budgetMs: BUDGET,
    warmCache: { ...warmOut, review: 'Deployment with 3 images (init + 2 containers), clean digests', targetP99Ms: 5, meetsTarget: warmOut.p99Ms <= 5 },
    redisHung: { ...hungOut, allDenied: hung.denied === hung.sent, withinBudget: hungOut.maxMs <= BUDGET },
    redisKilled: { ...deadOut, allDenied: dead.denied === dead.sent, withinBudget: deadOut.maxMs <= BUDGET },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/admission.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/results/admission.json');
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
