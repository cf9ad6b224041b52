/**
 * Retention benchmark (npm run bench): what one analysis costs Redis and the artifact disk, and
 * how long the retention sweep takes — the figures behind RETENTION_DAYS (docs/security.md).
 *  1. Real analyses: N detonations of the hello sample (real API + worker, Docker, strace) with
 *     BullMQ's bookkeeping included. Redis `used_memory` before and after, divided by N; the
 *     artifact bytes on disk (trace, events, report: gzip) per analysis and per stored event.
 *     Events live on disk, not in Redis: Redis bytes per event is reported as the analysis's
 *     Redis bytes over its event count, for comparison only.
 *  2. Records alone: one real completed record cloned M times (new ids, spread over 180 days) into
 *     a fresh database: `used_memory` delta per record (hash + time-index entry), then a sweep with
 *     90 days: analyses deleted per second.
 * Writes bench/results/retention.json. Redis is shared by the instance: run on a quiet machine.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { AnalysisRepository } from '../libs/core/src/storage/analysis.repository.js';
import type { AnalysisRecord } from '../libs/core/src/storage/analysis.types.js';
import { ArtifactStore } from '../libs/core/src/storage/artifact.store.js';
import { RetentionSweeper } from '../libs/core/src/storage/retention.js';
import { e2eProfilesDir } from '../test/support/profiles.js';
import { testRedisUrl } from '../test/support/redis.js';
import { client, startStack } from '../test/support/stack.js';

/** Alternated: a benign sample and one with findings (bigger records and reports). */
const IMAGES = (process.env.BENCH_RETENTION_IMAGES ?? 'quarantine-samples/hello:latest,quarantine-samples/dropper:latest').split(',');
const N = Number(process.env.BENCH_RETENTION_ANALYSES ?? 20);
const M = Number(process.env.BENCH_RETENTION_RECORDS ?? 20_000);
const DB = Number(process.env.BENCH_RETENTION_DB ?? 23);

async function usedMemory(redis: Redis): Promise<number> {
  // Let lazy frees and the allocator settle; the figure is instance-wide.
  await new Promise((r) => setTimeout(r, 300));
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const stack = await startStack({ db: DB, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('2s'), WORKER_CONCURRENCY: '2', LOG_FORMAT: 'json' } });
  let real: Record<string, unknown>;
  let sample: AnalysisRecord;
  try {
    const api = client(stack);
    // One warm-up analysis: queues, schedulers and connections exist before measuring.
    for (const image of IMAGES) await api.waitDone((await api.submit({ image, profile: 'e2e' })).json.id);
    await new Promise((r) => setTimeout(r, 2000));
    const before = await usedMemory(stack.redis);
    const indexBefore = Number(await stack.redis.memory('USAGE', 'q:analyses'));
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await api.submit({ image: IMAGES[i % IMAGES.length], profile: 'e2e' })).json.id);
    const done = [];
    for (const id of ids) done.push(await api.waitDone(id, 180_000));
    await new Promise((r) => setTimeout(r, 2000)); // events fan-out jobs finish
    const after = await usedMemory(stack.redis);
    const completed = done.filter((d) => d.status === 'completed');
    let events = 0;
    let disk = 0;
    for (const id of ids) {
      const d = join(stack.artifactDir, id);
      disk += dirBytes(d);
      try {
        events += gunzipSync(readFileSync(join(d, 'events.ndjson.gz'))).toString('utf8').split('\n').filter(Boolean).length;
      } catch {
        /* no events (failed run) */
      }
    }
    // What stays per analysis: its record, its time-index entry, and BullMQ's finished jobs
    // (detonation and events fan-out; kept 24 h / 1000 by removeOnComplete, then gone).
    const usage = async (key: string) => Number((await stack.redis.memory('USAGE', key)) ?? 0);
    let recordBytes = 0;
    let jobBytes = 0;
    for (const id of ids) {
      recordBytes += await usage(`q:analysis:${id}`);
      jobBytes += (await usage(`q:bull:analysis:detonate-${id}`)) + (await usage(`q:bull:webhooks:emit-${id}`));
    }
    const indexBytes = (Number(await stack.redis.memory('USAGE', 'q:analyses')) - indexBefore) / N;
    real = {
      images: IMAGES,
      analyses: N,
      completed: completed.length,
      /** Instance-wide, includes buffers and allocator noise: indicative only. */
      redisUsedMemoryDeltaPerAnalysis: Math.round((after - before) / N),
      /** MEMORY USAGE of what one analysis leaves behind for good (record + index entry). */
      redisBytesPerAnalysis: Math.round(recordBytes / N + indexBytes),
      recordHashBytesAvg: Math.round(recordBytes / N),
      indexEntryBytes: Math.round(indexBytes),
      /** BullMQ's finished jobs of one analysis, until removeOnComplete drops them. */
      bullmqJobBytesPerAnalysis: Math.round(jobBytes / N),
      eventsPerAnalysis: Math.round(events / N),
      diskBytesPerAnalysis: Math.round(disk / N),
      diskBytesPerEvent: events ? Math.round((disk / events) * 10) / 10 : null,
      /** Events are stored on disk (events.ndjson.gz), not in Redis: Redis bytes per event is 0. */
      redisBytesPerEvent: 0,
    };
    sample = (await new AnalysisRepository(stack.redis).get(completed[0]?.id ?? ids[0]))!;
  } finally {
    await stack.stop();
  }

  // 2. Records alone, and the sweep.
  const redis = new Redis(testRedisUrl(DB), { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  const repo = new AnalysisRepository(redis);
  const now = Date.now();
  const before = await usedMemory(redis);
  for (let i = 0; i < M; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, M - i) }, (_, j) => {
        const k = i + j;
        // 1 in 50 digests: a digest has ~50 analyses, as with nightly rescans.
        return repo.create({ ...sample, id: `bench-${k}`, digest: `sha256:${String(k % (M / 50)).padStart(64, '0')}`, createdAt: new Date(now - (k / M) * 180 * 86_400_000).toISOString() });
      }),
    );
  }
  const after = await usedMemory(redis);
  const t0 = performance.now();
  const summary = (await new RetentionSweeper(redis, new ArtifactStore(join(stack.artifactDir, 'none'))).run({ retentionDays: 90 }))!;
  const sweepMs = performance.now() - t0;
  await redis.flushdb();
  await redis.quit();

  const result = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    realAnalyses: real,
    records: {
      records: M,
      redisBytesPerRecord: Math.round((after - before) / M),
      sweep: { retentionDays: 90, deleted: summary.deleted, keptLatestOfDigest: summary.kept.latestOfDigest, ms: Math.round(sweepMs), deletedPerSecond: Math.round(summary.deleted / (sweepMs / 1000)) },
    },
  };
  writeFileSync('bench/results/retention.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
