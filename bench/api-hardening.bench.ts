/**
 * API hardening benchmark (npm run bench): the real API process (dist/) on a private redis-server
 * (never the shared one), loopback only, bounded request counts.
 *  1. authenticated requests (GET /v1/profiles, keep-alive, one at a time): p50/p99 — the failed-auth
 *     throttle adds one Redis GET to each; and the same with a wrong key (401 path, counted).
 *  2. a key-guessing client: how many 401s before 429, and the Retry-After it is given.
 *  3. Redis hung (SIGSTOP) and killed: time to the 503 answer (deadline REQUEST_TIMEOUT_MS), and
 *     time until requests succeed again after SIGCONT / a restart.
 * Writes bench/results/api-hardening.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../test/support/ports.js';
import { startStack } from '../test/support/stack.js';

const N = Number(process.env.BENCH_API_REQUESTS ?? 2000);
const DEADLINE_MS = Number(process.env.BENCH_API_DEADLINE_MS ?? 5000);
const LIMIT = 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100 : NaN;
};

let redisProc: ChildProcess | undefined;
async function startRedis(port: number): Promise<void> {
  redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100 && !(await probe.connect().then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
  probe.disconnect();
}
async function killRedis(): Promise<void> {
  const p = redisProc;
  if (!p || p.exitCode !== null) return;
  await new Promise((r) => {
    p.once('exit', r);
    p.kill('SIGKILL');
  });
}

const log = (m: string) => process.stderr.write(`[api-hardening] ${m}\n`);

async function main(): Promise<void> {
  const port = await freeLoopbackPort();
  await startRedis(port);
  log(`redis-server on ${port}`);
  const stack = await startStack({ db: 19, workers: 0, env: { REDIS_URL: `redis://127.0.0.1:${port}/0`, AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '300', REQUEST_TIMEOUT_MS: String(DEADLINE_MS) } });
  const get = async (key: string, path = '/v1/profiles') => {
    const t0 = performance.now();
    const res = await fetch(`${stack.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after') };
  };
  log(`API at ${stack.base}`);
  try {
    for (let i = 0; i < 200; i++) await get(stack.adminKey); // warm-up
    log('authenticated requests');
    const ok: number[] = [];
    for (let i = 0; i < N; i++) ok.push((await get(stack.adminKey)).ms);

    let before429 = 0;
    let retryAfter: string | null = null;
    for (let i = 0; i < LIMIT + 5; i++) {
      const r = await get('wrong-key-0123456789abcdef');
      if (r.status === 401) before429++;
      else if (r.status === 429) {
        retryAfter = r.retryAfter;
        break;
      }
    }

    const outage = async (what: 'hung' | 'killed') => {
      if (what === 'hung') process.kill(redisProc!.pid!, 'SIGSTOP');
      else await killRedis();
      const answers = await Promise.all(Array.from({ length: 10 }, () => get(stack.adminKey, '/v1/analyses')));
      const t0 = performance.now();
      if (what === 'hung') process.kill(redisProc!.pid!, 'SIGCONT');
      else await startRedis(port);
      log(`${what}: ${answers.map((a) => a.status).join(',')}`);
      for (let i = 0; (await get(stack.adminKey, '/v1/analyses')).status !== 200; i++) {
        if (i > 1000) throw new Error(`API did not recover after Redis ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { statuses: [...new Set(answers.map((a) => a.status))], answerMsMedian: pct(answers.map((a) => a.ms), 50), answerMsMax: pct(answers.map((a) => a.ms), 100), recoveredAfterMs: Math.round(performance.now() - t0) };
    };
    // The throttle's count lives in Redis: start the outage phase from an address with a clean count.
    const admin = new Redis(port, '127.0.0.1');
    await admin.flushall().catch(() => undefined);
    admin.disconnect();
    const hung = await outage('hung');
    const killed = await outage('killed');

    const result = {
      when: new Date().toISOString(),
      loadavg: loadavg(),
      authenticated: { requests: N, p50Ms: pct(ok, 50), p99Ms: pct(ok, 99) },
      throttle: { limit: LIMIT, failuresAnswered401: before429, then: 429, retryAfterSeconds: Number(retryAfter) },
      redisOutage: { deadlineMs: DEADLINE_MS, hung, killed },
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/api-hardening.json', `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (redisProc?.pid && redisProc.exitCode === null) process.kill(redisProc.pid, 'SIGCONT');
    await stack.stop().catch(() => undefined);
    await killRedis();
  }
}

await main();
process.exit(0);
