/**
 * Staying up while Redis is down or hung: a redis-server of this test's own on a spare port is
 * stopped (SIGSTOP: connections stay open, nothing answers) and killed, then brought back. Requests
 * during the outage get 503 with Retry-After within the deadline, health says so, everything works
 * again afterwards, and no connection — the API's or the worker's cancellation subscriber — emits
 * an unhandled error event.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createRedis } from '#core/nest/core.module';
import { Keys } from '#core/storage/redis-keys';
import { CancellationService } from '../../../worker/src/detonation/cancellation.service.js';
import { type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { freeLoopbackPort } from '../../../../test/support/ports.js';

const DEADLINE_MS = 1500;
let port: number;
let server: ChildProcess | undefined;
let t: ApiApp;
let cancellation: CancellationService;
let workerRedis: Redis;
const consoleErrors: string[] = [];

async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    if (await probe.connect().then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  probe.disconnect();
}

function killRedis(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s || s.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('exit', () => resolve());
    s.kill('SIGKILL');
  });
}

async function until(what: string, fn: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await fn().catch(() => false)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

const auth = () => ({ authorization: `Bearer ${t.adminKey}` });
const timed = async (req: request.Test) => {
  const t0 = Date.now();
  const res = await req;
  return { res, ms: Date.now() - t0 };
};

beforeAll(async () => {
  const errorSpy = console.error;
  console.error = (...args: unknown[]) => {
    consoleErrors.push(args.map(String).join(' '));
    errorSpy(...args);
  };
  port = await freeLoopbackPort();
  await startRedis();
  t = await startApiApp({ db: 0, redisUrl: `redis://127.0.0.1:${port}/0`, env: { REQUEST_TIMEOUT_MS: String(DEADLINE_MS) } });
  workerRedis = createRedis(`redis://127.0.0.1:${port}/0`, 'quarantine-worker');
  cancellation = new CancellationService(workerRedis);
  await cancellation.onModuleInit();
}, 30_000);

afterAll(async () => {
  if (server?.pid) process.kill(server.pid, 'SIGCONT');
  await t?.close().catch(() => undefined);
  await cancellation?.onModuleDestroy().catch(() => undefined);
  workerRedis?.disconnect();
  await killRedis();
});

it('answers 503 with Retry-After within the deadline while Redis hangs or is down, and recovers', async () => {
  expect((await request(t.server).get('/v1/analyses').set(auth())).status).toBe(200);
  expect((await request(t.server).get('/healthz')).body).toEqual({ status: 'ok' });

  // Hung: the process is stopped, its sockets stay open.
  process.kill(server!.pid!, 'SIGSTOP');
  const hung = await Promise.all([
    timed(request(t.server).get('/v1/analyses').set(auth())),
    timed(request(t.server).post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/hello:latest' })),
    timed(request(t.server).get('/v1/watches').set(auth())),
  ]);
  for (const { res, ms } of hung) {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ code: 'service_unavailable', details: [] });
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
  }
  const ready = await timed(request(t.server).get('/readyz'));
  expect(ready.res.status).toBe(503);
  expect(ready.res.body.checks.redis.ok).toBe(false);
  expect(ready.ms).toBeLessThan(1500);
  process.kill(server!.pid!, 'SIGCONT');
  await until('API answers again after SIGCONT', async () => (await request(t.server).get('/v1/analyses').set(auth())).status === 200, 5000);
  // Nothing enqueued late by a request that was already told 503.
  expect((await request(t.server).get('/v1/analyses').set(auth())).body.items).toEqual([]);

  // Down: the process is gone, connections are refused.
  await killRedis();
  await until('health says degraded', async () => (await request(t.server).get('/healthz')).body.status === 'degraded', 3000);
  const down = await Promise.all([
    timed(request(t.server).get('/v1/analyses').set(auth())),
    timed(request(t.server).post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/hello:latest' })),
    timed(request(t.server).get('/v1/api-keys').set(auth())),
  ]);
  for (const { res, ms } of down) {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.code).toBe('service_unavailable');
    // Refused connections fail at once: no offline queue once the API had connected.
    expect(ms).toBeLessThan(1000);
  }
  expect((await request(t.server).get('/readyz')).status).toBe(503);

  await startRedis();
  await until('API answers again after restart', async () => (await request(t.server).get('/v1/analyses').set(auth())).status === 200, 10_000);
  await until('health ok again', async () => (await request(t.server).get('/healthz')).body.status === 'ok', 5000);
  // The queue's connection reconnects on its own schedule (at most every second).
  await until('submissions accepted again', async () => (await request(t.server).post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/hello:latest' })).status === 202, 3000);
  // The worker's cancellation subscriber came back too.
  const pub = new Redis(port, '127.0.0.1');
  await until('cancellation subscriber resubscribed', async () => (await pub.publish(Keys.cancelChannel, 'no-such-analysis')) >= 1, 5000).finally(() => pub.disconnect());

  // ioredis prints "[ioredis] Unhandled error event" and BullMQ prints the error itself when a connection has no listener.
  expect(consoleErrors.filter((l) => /Unhandled error event|ECONNREFUSED|Connection is closed|ECONNRESET/.test(l))).toEqual([]);
}, 40_000);
