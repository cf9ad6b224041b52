import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { AnalysisRepository } from './analysis.repository.js';
import type { AnalysisRecord, AnalysisStatus } from './analysis.types.js';
import { ArtifactStore } from './artifact.store.js';
import { Keys } from './redis-keys.js';
import { RetentionSweeper } from './retention.js';
import { WatchRepository } from './watch.repository.js';
import { WebhookRepository } from './webhook.repository.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('retention sweep (real Redis, real artifact directory)', () => {
  const redis = new Redis(testRedisUrl(27), { maxRetriesPerRequest: 3 });
  const analyses = new AnalysisRepository(redis);
  const watches = new WatchRepository(redis);
  const webhooks = new WebhookRepository(redis);
  let dir: string;
  let store: ArtifactStore;

  beforeEach(async () => {
    await redis.flushdb();
    dir = mkdtempSync(join(tmpdir(), 'q-retention-'));
    store = new ArtifactStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => redis.quit());

  async function seed(id: string, ageDays: number, digest: string | null, status: AnalysisStatus = 'completed', extra: Partial<AnalysisRecord> = {}): Promise<void> {
    const createdAt = new Date(NOW - ageDays * DAY).toISOString();
    await analyses.create({
      id, image: `registry.local/app-${digest ?? 'none'}:1`, digest, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc', status, phase: status === 'running' ? 'observing' : 'done',
      verdict: status === 'completed' ? 'clean' : null, score: 0, findings: [], labels: {}, priority: 5, rulesVersion: 'r1', createdAt, startedAt: createdAt,
      finishedAt: status === 'running' ? null : createdAt, attempts: 1, error: null, submittedBy: 'admin', ...extra,
    });
    await store.writeJson(id, 'report.json', { id });
    await store.writeJson(id, 'events.ndjson', [{ seq: 1 }]);
  }

  async function world(): Promise<void> {
    // digest A: two old runs, a recent one holding the verdict → the old ones go
    await seed('a1', 100, 'sha256:a');
    await seed('a2', 95, 'sha256:a');
    await seed('a3', 10, 'sha256:a');
    await analyses.setVerdict({ digest: 'sha256:a', verdict: 'clean', score: 0, rulesVersion: 'r1', analysisId: 'a3', image: 'x', at: new Date(NOW - 10 * DAY).toISOString() });
    // digest B: the verdict is held by the oldest run; a newer failed run is the latest of the digest
    await seed('b1', 120, 'sha256:b');
    await analyses.setVerdict({ digest: 'sha256:b', verdict: 'clean', score: 0, rulesVersion: 'r1', analysisId: 'b1', image: 'x', at: new Date(NOW - 120 * DAY).toISOString() });
    await seed('b0', 130, 'sha256:b');
    await seed('b2', 100, 'sha256:b', 'failed');
    // digest C: one old analysis, the only one → kept
    await seed('c1', 200, 'sha256:c');
    // never resolved (no digest), old → goes; old but still running → stays
    await seed('n1', 100, null, 'failed');
    await seed('r1', 100, 'sha256:a', 'running');
    // open tickets: one records its analysis, one (opened before that field) names it through its create delivery
    await seed('t1', 100, 'sha256:a');
    await seed('t2', 100, 'sha256:a');
    await webhooks.openTicket('wh1', { repository: 'registry.local/app', findingsKey: 'k1', ref: 'SEC-1', createDeliveryId: 'msg_1', openedAt: new Date().toISOString(), analysisId: 't1' });
    await webhooks.openTicket('wh1', { repository: 'registry.local/app', findingsKey: 'k2', ref: 'SEC-2', createDeliveryId: 'msg_2', openedAt: new Date().toISOString() });
    await redis.set(Keys.delivery('msg_2'), JSON.stringify({ id: 'msg_2', webhookId: 'wh1', analysisId: 't2' }));
    // a watch: two old runs go (and leave its run list), the recent one and the list entry stay
    await watches.create({ id: 'w1', image: 'registry.local/app-sha256:d:1', schedule: '0 3 * * *', timezone: 'UTC', profile: 'default', createdAt: new Date(NOW - 300 * DAY).toISOString(), createdBy: 'admin' });
    for (const [id, age] of [['wa', 100], ['wb', 98], ['wc', 5]] as const) {
      await seed(id, age, 'sha256:d', 'completed', { watchId: 'w1' });
      await watches.recordRun('w1', { analysisId: id, trigger: 'schedule', at: new Date(NOW - age * DAY).toISOString() });
    }
    // an image's latest completed analysis (what verdict.changed compares with) stays
    await seed('e1', 100, 'sha256:e');
    await seed('e2', 3, 'sha256:e', 'failed');
    await webhooks.exchangeLastCompleted('registry.local/app-sha256:e:1', { analysisId: 'e1', verdict: 'clean' });
    // recent analyses stay
    await seed('z1', 1, 'sha256:z');
    await seed('z2', 89, 'sha256:z');
    // an index entry without its record, an old artifact directory without a record, a fresh one
    await redis.zadd(Keys.analysesByTime, NOW - 150 * DAY, 'ghost');
    for (const [name, age] of [['orphan-old', 120], ['orphan-new', 0]] as const) {
      await mkdir(join(dir, name));
      const t = new Date(NOW - age * DAY);
      utimesSync(join(dir, name), t, t);
    }
  }

  it.each([500, 2])('deletes exactly the old analyses nothing needs, with all their keys and files (page size %i)', async (pageSize) => {
    await world();
    const summary = await new RetentionSweeper(redis, store).run({ retentionDays: 90, now: NOW, pageSize });
    const kept = ['a3', 'b1', 'b2', 'c1', 'r1', 't1', 't2', 'wc', 'e1', 'e2', 'z1', 'z2'];
    const gone = ['a1', 'a2', 'b0', 'n1', 'wa', 'wb'];
    expect(summary).toMatchObject({ deleted: gone.length, kept: { latestOfDigest: 2, referenced: 4, inProgress: 1 }, orphanIndexEntries: 1, watchRunsRemoved: 2, artifactDirsRemoved: gone.length, orphanArtifactDirsRemoved: 1 });
    // records, index, artifact directories agree: nothing dangling either way
    const members = (await redis.zrange(Keys.analysesByTime, '0', '-1')).sort();
    expect(members).toEqual([...kept].sort());
    for (const id of kept) expect(await redis.exists(Keys.analysis(id))).toBe(1);
    for (const id of gone) expect(await redis.exists(Keys.analysis(id))).toBe(0);
    let cursor = '0';
    const hashes: string[] = [];
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'q:analysis:*', 'COUNT', 100);
      cursor = next;
      hashes.push(...keys.map((k) => k.slice('q:analysis:'.length)));
    } while (cursor !== '0');
    expect(hashes.sort()).toEqual([...kept].sort());
    expect(readdirSync(dir).sort()).toEqual([...kept, 'orphan-new'].sort());
    expect((await watches.runs('w1')).map((r) => r.analysisId)).toEqual(['wc']);
    expect((await analyses.getVerdict('sha256:a'))?.analysisId).toBe('a3');
    expect(await new RetentionSweeper(redis, store).lastRun()).toEqual(summary);
    // a second run finds nothing more to do
    expect(await new RetentionSweeper(redis, store).run({ retentionDays: 90, now: NOW, pageSize })).toMatchObject({ deleted: 0, orphanIndexEntries: 0 });
  });

  it('one runner at a time: a sweep while another holds the lock does nothing', async () => {
    await seed('old', 100, null, 'failed');
    await redis.set(Keys.retentionLock, 'someone-else', 'PX', 60_000);
    expect(await new RetentionSweeper(redis, store).run({ retentionDays: 90, now: NOW })).toBeNull();
    expect(await redis.exists(Keys.analysis('old'))).toBe(1);
    await redis.del(Keys.retentionLock);
    expect(await new RetentionSweeper(redis, store).run({ retentionDays: 90, now: NOW })).toMatchObject({ deleted: 1 });
    expect(await redis.exists(Keys.retentionLock)).toBe(0);
  });
});
