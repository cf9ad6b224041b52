/**
 * Webhook delivery benchmark (npm run bench): real API + worker processes, real Redis, a real
 * HTTP receiver on loopback that verifies every signature.
 *  1. Fan-out: N analyses of an image that is not present (they fail at resolution in
 *     milliseconds, so no sandbox time is measured) × S subscriptions = N·S signed deliveries.
 *     Latency from the analysis's finishedAt to the request arriving at the receiver (p50, p95,
 *     max), HTTP round trip of the attempt, and deliveries per second end to end.
 *  2. Signing: Standard Webhooks signatures per second for a 2 KiB body (one core).
 * Writes bench/results/webhooks.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { generateSecret, sign } from '../libs/core/src/webhooks/signing.js';
import { client, startStack, waitFor } from '../test/support/stack.js';
import { WebhookReceiver, freeLoopbackPort } from '../test/support/webhook-receiver.js';

const N = Number(process.env.BENCH_WEBHOOK_ANALYSES ?? 40);
const S = Number(process.env.BENCH_WEBHOOK_SUBSCRIPTIONS ?? 5);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const secret = generateSecret();
  const receiver = new WebhookReceiver(await freeLoopbackPort(), [secret]);
  await receiver.start();
  const stack = await startStack({ db: Number(process.env.BENCH_WEBHOOK_DB ?? 16), env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32' } });
  try {
    const api = client(stack);
    for (let i = 0; i < S; i++) await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/s${i}`, events: ['analysis.failed'], secret });
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await api.submit({ image: 'quarantine-test/bench-absent:latest', profile: 'quick' })).json.id);
    await waitFor(() => receiver.received.length >= N * S, 300_000, () => `${receiver.received.length}/${N * S} deliveries`);
    const wallMs = Date.now() - t0;
    const finished = new Map<string, number>();
    for (const id of ids) finished.set(id, Date.parse((await api.get(id)).json.finishedAt));
    const latencies = receiver.received.map((r) => r.receivedAt - finished.get(r.json.data.analysisId)!);
    const rtts: number[] = [];
    const subs = (await api.call('GET', '/v1/webhooks')).json.items as { id: string }[];
    for (const s of subs) for (const d of (await api.call('GET', `/v1/webhooks/${s.id}/deliveries`)).json.items) rtts.push(d.attempts.at(-1).latencyMs);
    const unverified = receiver.received.filter((r) => !r.verifiedBy.includes(0)).length;
    const duplicates = receiver.received.length - new Set(receiver.received.map((r) => `${r.path} ${r.headers['webhook-id']}`)).size;

    const body = 'x'.repeat(2048);
    const k = 20_000;
    const s0 = performance.now();
    for (let i = 0; i < k; i++) sign(secret, `msg_${i}`, 1_700_000_000, body);
    const signPerSec = Math.round(k / ((performance.now() - s0) / 1000));

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      fanout: {
        analyses: N,
        subscriptions: S,
        deliveries: receiver.received.length,
        unverifiedSignatures: unverified,
        duplicates,
        wallMs,
        deliveriesPerSecond: Math.round((receiver.received.length / wallMs) * 1000),
        eventToReceiptMs: { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.max(...latencies) },
        httpRoundTripMs: { p50: pct(rtts, 50), p95: pct(rtts, 95) },
      },
      signing: { bodyBytes: body.length, signaturesPerSecond: signPerSec },
    };
    writeFileSync('bench/results/webhooks.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await receiver.stop();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
