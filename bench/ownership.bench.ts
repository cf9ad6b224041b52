/**
 * Ownership benchmark (npm run bench): the costs the ownership work adds to a request, measured on
 * real Redis.
 *  1. Quota reservation (the Lua script) for a key holding 49 of 50 active analyses: p50/p99 µs.
 *  2. 50 concurrent reservations against a quota of 10: how many got through (must be 10).
 *  3. Audit append (XADD with MINID trimming) p50/p99, and GET /v1/audit's query over a 100,000-entry
 *     stream with a filter that matches nothing (the worst case: it stops at AUDIT_SCAN_MAX = 2,000 examined).
 *  4. The minimum-interval check (shortest gap of a cron pattern), worst of several patterns.
 * Writes bench/results/ownership.json. Uses Redis database BENCH_OWNERSHIP_DB (default 19), flushed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { AuditRepository } from '../libs/core/src/storage/audit.repository.js';
import { AnalysisRepository } from '../libs/core/src/storage/analysis.repository.js';
import { QuotaRepository } from '../libs/core/src/storage/quota.repository.js';
import { shortestGapSeconds } from '../libs/core/src/watches/schedule.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const round = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const base = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  base.pathname = `/${process.env.BENCH_OWNERSHIP_DB ?? 19}`;
  const redis = new Redis(base.toString(), { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  try {
    const analyses = new AnalysisRepository(redis);
    const quota = new QuotaRepository(redis);
    const mk = (id: string, status: string) => analyses.create({ id, status, createdAt: new Date().toISOString() } as never);
    // 1. A key with 49 active analyses and a quota of 50: reserve the 50th, release it, repeat.
    for (let i = 0; i < 49; i++) {
      const id = randomUUID();
      await mk(id, 'queued');
      await quota.reserve('bench-a', id, 50);
    }
    const reserveUs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const id = randomUUID();
      const t0 = performance.now();
      const r = await quota.reserve('bench-a', id, 50);
      reserveUs.push((performance.now() - t0) * 1000);
      if (!r.ok) throw new Error('quota refused below the limit');
      await quota.release('bench-a', id);
    }
    // 2. Concurrency.
    const results = await Promise.all(Array.from({ length: 50 }, async () => {
      const id = randomUUID();
      await mk(id, 'queued');
      return (await quota.reserve('bench-b', id, 10)).ok;
    }));
    const admitted = results.filter(Boolean).length;

    // 3. Audit.
    const audit = new AuditRepository(redis, 365);
    const entry = { at: new Date().toISOString(), actor: { keyId: 'bench', name: 'bench', role: 'admin', address: '127.0.0.1' }, action: 'analysis.cancel', resource: { type: 'analysis', id: randomUUID() }, result: 'ok' as const, status: 200, requestId: randomUUID() };
    const appendUs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await audit.append(entry);
      appendUs.push((performance.now() - t0) * 1000);
    }
    for (let i = 0; i < 98; i++) {
      const p = redis.pipeline();
      for (let j = 0; j < 1000; j++) p.xadd('q:audit', '*', 'e', JSON.stringify(entry));
      await p.exec();
    }
    const queryMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await audit.query({ limit: 100, actor: 'nobody' });
      queryMs.push(performance.now() - t0);
    }
    const pageMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await audit.query({ limit: 100 });
      pageMs.push(performance.now() - t0);
    }

    // 4. Minimum-interval check.
    const patterns = ['* * * * * *', '*/5 * * * *', '0 2 * * *', '0,59 0,23 * * *', '0,1 0 1 1 *', '0 0,23 * * 1,3'];
    const gapMs: Record<string, number> = {};
    for (const p of patterns) {
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        shortestGapSeconds(p, 300);
        xs.push(performance.now() - t0);
      }
      gapMs[p] = round(Math.min(...xs));
    }

    const out = {
      at: new Date().toISOString(),
      quotaReserveUs: { p50: round(pct(reserveUs, 50)), p99: round(pct(reserveUs, 99)), activeInSet: 49, limit: 50 },
      quotaConcurrency: { submissions: 50, limit: 10, admitted },
      auditAppendUs: { p50: round(pct(appendUs, 50)), p99: round(pct(appendUs, 99)) },
      auditQueryMs: { streamEntries: await redis.xlen('q:audit'), unmatchedFilterP50: round(pct(queryMs, 50)), firstPageOf100P50: round(pct(pageMs, 50)) },
      shortestGapMs: gapMs,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/ownership.json', `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await redis.flushdb();
    redis.disconnect();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
