/**
 * Private registries and push triggers benchmark (npm run bench; docs/registries.md):
 *  1. push → queued: a real docker-registry (started here) notifies the real API process (dist/);
 *     BENCH_REGISTRY_PUSHES (50) minimal images pushed one after another over the registry API;
 *     latency from the manifest PUT's answer to the analysis being queued (the dedupe key holding its id).
 *  2. POST /v1/registry-events throughput: BENCH_REGISTRY_BATCHES (20) Distribution envelopes of 100
 *     push events (distinct digests) sent one after another: events/s and ms per request.
 *  3. tag resolution through the registry client: anonymous (:5000), htpasswd (Basic) and token auth
 *     (Bearer, realm of the bench's own issuing ES256 JWTs): cold (new client: challenge + token fetch)
 *     and warm (cached token / Basic up front), median of BENCH_REGISTRY_RESOLVES (50) each.
 * Writes bench/results/registries.json.
 */
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { RegistryClient } from '../libs/core/src/image/registry-client.js';
import { RegistryCredential, StaticCredentials } from '../libs/core/src/image/registry-credentials.js';
import { freeLoopbackPort } from '../test/support/ports.js';
import { copyImage, pushTinyImage, startRegistry } from '../test/support/private-registry.js';
import { REGISTRY } from '../test/support/registry.js';
import { startStack } from '../test/support/stack.js';

const PUSHES = Number(process.env.BENCH_REGISTRY_PUSHES ?? 50);
const BATCHES = Number(process.env.BENCH_REGISTRY_BATCHES ?? 20);
const RESOLVES = Number(process.env.BENCH_REGISTRY_RESOLVES ?? 50);
const DB = Number(process.env.BENCH_REGISTRY_DB ?? 17);
const TOKEN = 'bench-registry-events-token-0001';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const apiPort = await freeLoopbackPort();
  const notifying = await startRegistry({ notify: { url: `http://127.0.0.1:${apiPort}/v1/registry-events`, token: TOKEN } });
  const basic = await startRegistry({ htpasswd: { bench: 'bench-password-1' } });
  const token = await startRegistry({ token: { users: { bench: 'bench-password-1' } } });
  const stack = await startStack({ db: DB, workers: 0, port: apiPort, env: { TRUSTED_REGISTRIES: notifying.host, REGISTRY_EVENTS_TOKEN: TOKEN, REGISTRY_EVENTS_MAX_EVENTS: '100', MAX_BODY_BYTES: String(1024 * 1024) } });
  try {
    // 1. push → queued
    const run = randomUUID().slice(0, 8);
    const pushLatency: number[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const digest = await pushTinyImage(notifying, 'bench/app', `v${i}`, `${run}-${i}`);
      const t0 = performance.now();
      const key = `q:registry-event:${notifying.host}/bench/app@${digest}`;
      for (;;) {
        const v = await stack.redis.get(key);
        if (v && v !== 'pending') break;
        if (performance.now() - t0 > 30_000) throw new Error(`push ${i}: no analysis after 30 s`);
        await sleep(2);
      }
      pushLatency.push(performance.now() - t0);
    }
    // 2. direct POST throughput
    const perRequest: number[] = [];
    const t1 = performance.now();
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        action: 'push',
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update(`${run}-${b}-${i}`).digest('hex')}`, repository: 'bench/batch', tag: `t${i}` },
        request: { host: notifying.host },
      }));
      const s = performance.now();
      const res = await fetch(`${stack.base}/v1/registry-events`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, body: JSON.stringify({ events }) });
      const body = (await res.json()) as { queued: number };
      if (res.status !== 202 || body.queued !== 100) throw new Error(`batch ${b}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      perRequest.push(performance.now() - s);
    }
    const batchWall = performance.now() - t1;
    // 3. tag resolution
    const cred = (host: string) => new StaticCredentials(new Map([[host, new RegistryCredential(host, { username: 'bench', password: 'bench-password-1' }, 'file')]]));
    await pushTinyImage(REGISTRY, `bench-${run}/app`, 'v1', `${run}-anon`);
    // The same tiny image in the two private registries (copied with credentials).
    await copyImage(REGISTRY, `bench-${run}/app`, 'v1', basic, 'bench/app', 'v1', { user: 'bench', password: 'bench-password-1' });
    await copyImage(REGISTRY, `bench-${run}/app`, 'v1', token, 'bench/app', 'v1', { user: 'bench', password: 'bench-password-1' });
    const resolve: Record<string, { coldMs: number; warmMs: number }> = {};
    for (const [name, host, repo, creds] of [
      ['anonymous', REGISTRY, `bench-${run}/app`, undefined],
      ['htpasswd-basic', basic.host, 'bench/app', cred(basic.host)],
      ['token-bearer', token.host, 'bench/app', cred(token.host)],
    ] as const) {
      const cold: number[] = [];
      const warm: number[] = [];
      const client = new RegistryClient({ credentials: creds });
      await client.resolve(host, repo, 'v1');
      for (let i = 0; i < RESOLVES; i++) {
        let s = performance.now();
        await new RegistryClient({ credentials: creds }).resolve(host, repo, 'v1');
        cold.push(performance.now() - s);
        s = performance.now();
        await client.resolve(host, repo, 'v1');
        warm.push(performance.now() - s);
      }
      resolve[name] = { coldMs: pct(cold, 50), warmMs: pct(warm, 50) };
    }
    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
      pushToQueued: { pushes: PUSHES, p50Ms: pct(pushLatency, 50), p90Ms: pct(pushLatency, 90), p99Ms: pct(pushLatency, 99), maxMs: pct(pushLatency, 100) },
      eventsPost: { batches: BATCHES, eventsPerBatch: 100, eventsPerSecond: Math.round((BATCHES * 100) / (batchWall / 1000)), p50MsPerRequest: pct(perRequest, 50), p99MsPerRequest: pct(perRequest, 99) },
      tagResolution: resolve,
    };
    writeFileSync('bench/results/registries.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    console.log('wrote bench/results/registries.json');
  } finally {
    await stack.stop();
    await Promise.all([notifying.stop(), basic.stop(), token.stop()]);
  }
}

await main();
