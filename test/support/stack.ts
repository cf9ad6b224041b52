import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from './ports.js';
import { testRedisUrl } from './redis.js';
import { TEST_SECRET_KEY } from './secret-key.js';

/**
 * Boots the real API and worker processes (from dist/) against real Redis and Docker, each test
 * file on its own Redis database and artifact directory.
 */
export interface Stack {
  base: string;
  adminKey: string;
  env: NodeJS.ProcessEnv;
  api: ChildProcess;
  workers: ChildProcess[];
  redis: Redis;
  artifactDir: string;
  startWorker(extraEnv?: NodeJS.ProcessEnv): Promise<ChildProcess>;
  stop(): Promise<void>;
  logs(): string;
}


/**
 * `port`: when something must know the API's URL before it starts (a registry configured to notify it).
 * `cwd`: run the API and worker of another checkout's dist/ (benchmarks compare a baseline build side by side).
 */
export async function startStack(opts: { db: number; env?: NodeJS.ProcessEnv; workers?: number; port?: number; cwd?: string }): Promise<Stack> {
  const port = opts.port ?? (await freeLoopbackPort());
  const artifactDir = mkdtempSync(join(tmpdir(), 'q-e2e-'));
  const adminKey = 'e2e-admin-key-0123456789abcdef';
  const redisUrl = testRedisUrl(opts.db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    QUARANTINE_ADMIN_KEY: adminKey,
    // A test-only key (never a default of the service): webhooks need one to store their secrets.
    QUARANTINE_SECRET_KEY: TEST_SECRET_KEY,
    ARTIFACT_DIR: artifactDir,
    WORKER_CONCURRENCY: '2',
    LOG_FORMAT: 'json',
    // Suites send many deliberate 401s from one address; the throttle has its own test (authentication.integration-spec.ts).
    AUTH_FAILURE_LIMIT: '100000',
    ...opts.env,
  };
  let logBuf = '';
  const capture = (p: ChildProcess, tag: string) => {
    const add = (d: Buffer) => {
      logBuf += d.toString().split('\n').filter(Boolean).map((l) => `[${tag}] ${l}\n`).join('');
      if (logBuf.length > 2_000_000) logBuf = logBuf.slice(-1_000_000);
    };
    p.stdout?.on('data', add);
    p.stderr?.on('data', add);
  };
  const api = spawn('node', ['dist/apps/api/src/main.js'], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  capture(api, 'api');
  const workers: ChildProcess[] = [];
  const startWorker = async (extra: NodeJS.ProcessEnv = {}) => {
    const w = spawn('node', ['dist/apps/worker/src/main.js'], { env: { ...env, ...extra }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    capture(w, `worker${workers.length}`);
    workers.push(w);
    await waitFor(() => logBuf.includes('worker started'), 20_000, () => `worker did not start:\n${logBuf.slice(-3000)}`);
    return w;
  };
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true, 20_000, () => `API did not start:\n${logBuf.slice(-3000)}`);
  for (let i = 0; i < (opts.workers ?? 1); i++) await startWorker();
  const stack: Stack = {
    base,
    adminKey,
    env,
    api,
    workers,
    redis,
    artifactDir,
    startWorker,
    logs: () => logBuf,
    async stop() {
      for (const p of [api, ...workers]) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await Promise.all([api, ...workers].map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => { const t = setTimeout(() => { p.kill('SIGKILL'); r(undefined); }, 10_000); p.once('exit', () => { clearTimeout(t); r(undefined); }); }) : undefined)));
      await redis.quit();
      rmSync(artifactDir, { recursive: true, force: true });
    },
  };
  return stack;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string = () => 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
}

/** Minimal JSON client for the API. */
export function client(stack: Stack, key = stack.adminKey) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${stack.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return {
    call,
    submit: (body: unknown) => call('POST', '/v1/analyses', body),
    get: (id: string) => call('GET', `/v1/analyses/${id}`),
    async waitDone(id: string, timeoutMs = 90_000) {
      let last: any;
      await waitFor(async () => {
        last = (await call('GET', `/v1/analyses/${id}`)).json;
        return ['completed', 'failed', 'cancelled', 'rejected'].includes(last?.status);
      }, timeoutMs, () => `analysis ${id} still ${last?.status}/${last?.phase}\n${stack.logs().slice(-4000)}`);
      return last;
    },
  };
}

/** Sandboxes of these analyses still in the Docker engine, by name (other suites' sandboxes are not counted: the engine is shared). */
export async function sandboxesLeft(ids: Iterable<string>): Promise<string[]> {
  const mine = new Set(ids);
  const all = await new Docker().listContainers({ all: true, filters: { label: ['org.quarantine.managed=true'] } });
  return all.filter((c) => mine.has(c.Labels['org.quarantine.analysis-id'] ?? '')).flatMap((c) => c.Names);
}
