import type { Redis } from 'ioredis';
import { Keys } from './redis-keys.js';

export interface WatchRecord {
  id: string;
  /** Tag or digest reference; a tag is resolved anew at every rescan. */
  image: string;
  /** Cron pattern (5 fields, or 6 with seconds). */
  schedule: string;
  timezone: string;
  profile: string;
  createdAt: string;
  createdBy: string;
  /** The API key id that created the watch (absent on older watches: admin-only to modify). */
  owner?: string;
  /** That key's role, for the quota its rescans count against. */
  ownerRole?: 'analyst' | 'admin';
  lastRunAt?: string | null;
  lastAnalysisId?: string | null;
}

export interface WatchRun {
  analysisId: string;
  trigger: 'schedule' | 'manual';
  at: string;
}

/** Watches in Redis: one JSON string per watch, a creation-ordered index, and each watch's runs. */
export class WatchRepository {
  constructor(private readonly redis: Redis) {}

  async create(rec: WatchRecord): Promise<void> {
    await this.redis.multi().set(Keys.watch(rec.id), JSON.stringify(rec)).zadd(Keys.watches, Date.parse(rec.createdAt), rec.id).exec();
  }

  async get(id: string): Promise<WatchRecord | null> {
    const raw = await this.redis.get(Keys.watch(id));
    return raw ? (JSON.parse(raw) as WatchRecord) : null;
  }

  async list(): Promise<WatchRecord[]> {
    const ids = await this.redis.zrange(Keys.watches, '0', '-1');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => Keys.watch(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as WatchRecord);
  }

  async remove(id: string): Promise<boolean> {
    const [[, n]] = (await this.redis.multi().del(Keys.watch(id)).zrem(Keys.watches, id).del(Keys.watchRuns(id)).exec()) as [[unknown, number]];
    return n === 1;
  }

  /**
   * Claims a scheduler tick for `analysisId`: true the first time, false if another worker (or an
   * earlier attempt of this job) already created the tick's analysis — so a tick never runs twice.
   */
  async claimTick(watchId: string, tick: string, analysisId: string): Promise<string | null> {
    const ok = await this.redis.set(Keys.watchTick(watchId, tick), analysisId, 'EX', 7 * 24 * 3600, 'NX');
    return ok === 'OK' ? null : await this.redis.get(Keys.watchTick(watchId, tick));
  }

  async recordRun(watchId: string, run: WatchRun): Promise<void> {
    const raw = await this.redis.get(Keys.watch(watchId));
    const multi = this.redis.multi().lpush(Keys.watchRuns(watchId), JSON.stringify(run)).ltrim(Keys.watchRuns(watchId), 0, 999);
    if (raw) multi.set(Keys.watch(watchId), JSON.stringify({ ...(JSON.parse(raw) as WatchRecord), lastRunAt: run.at, lastAnalysisId: run.analysisId }), 'XX');
    await multi.exec();
  }

  /** The watch's runs, newest first. */
  async runs(watchId: string, limit = 100): Promise<WatchRun[]> {
    return (await this.redis.lrange(Keys.watchRuns(watchId), 0, limit - 1)).map((r) => JSON.parse(r) as WatchRun);
  }
}
