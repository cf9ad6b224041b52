import type { Redis } from 'ioredis';
import type { AnalysisRecord, AnalysisStatus, VerdictCacheEntry } from './analysis.types.js';
import { Keys } from './redis-keys.js';

export interface AnalysisFilter {
  image?: string;
  digest?: string;
  verdict?: string;
  status?: AnalysisStatus;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** HSET the patch unless the stored status is terminal (ARGV[1] = '1' allows it). */
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '0' then
  local s = redis.call('HGET', KEYS[1], 'status')
  if s == '"completed"' or s == '"failed"' or s == '"cancelled"' or s == '"rejected"' then return -1 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`;

/**
 * Sets the digest's admission verdict unless it is held by an analysis that finished later
 * (KEYS: verdict, channel; ARGV: entry JSON, analysis id, finishedAt, digest). A rescore of the
 * holder replaces it. Returns {applied, previous entry or false}.
 */
const SET_VERDICT_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and c.analysisId ~= ARGV[2] then
    local held = c.finishedAt or c.at
    if type(held) == 'string' and held > ARGV[3] then return {0, cur} end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[4])
return {1, cur or false}`;

/** Each field is stored JSON-encoded in its own hash field, so patches touch only what changed. */
function encode(rec: Partial<AnalysisRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec)) if (v !== undefined) out[k] = JSON.stringify(v);
  return out;
}

function decode(h: Record<string, string> | null | undefined): AnalysisRecord | null {
  if (!h || !h.id) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = JSON.parse(v);
  return out as unknown as AnalysisRecord;
}

/**
 * Analyses in Redis: one JSON string per analysis, a time-ordered index for listing, and the
 * verdict cache by digest. Status changes go through a compare-and-set script so a late worker
 * never overwrites a cancellation.
 */
export class AnalysisRepository {
  constructor(private readonly redis: Redis) {}

  async create(rec: AnalysisRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(Keys.analysis(rec.id), encode(rec))
      .zadd(Keys.analysesByTime, Date.parse(rec.createdAt), rec.id)
      .exec();
  }

  async get(id: string): Promise<AnalysisRecord | null> {
    return decode(await this.redis.hgetall(Keys.analysis(id)));
  }

  /**
   * Applies `patch` atomically unless the record is already terminal (completed, failed,
   * cancelled, rejected) — so a late worker never overwrites a cancellation. Returns the stored record, or
   * null when the record is missing or the update was refused.
   */
  async update(id: string, patch: Partial<AnalysisRecord>, opts: { allowTerminal?: boolean } = {}): Promise<AnalysisRecord | null> {
    const flat = Object.entries(encode(patch)).flat();
    if (flat.length === 0) return this.get(id);
    const ok = (await this.redis.eval(UPDATE_SCRIPT, 1, Keys.analysis(id), opts.allowTerminal ? '1' : '0', ...flat)) as number;
    return ok === 1 ? this.get(id) : null;
  }

  async list(filter: AnalysisFilter, limit: number, cursor?: string): Promise<Page<AnalysisRecord>> {
    // Cursor: "<scoreMs>:<id>" of the last item returned; listing is newest first.
    let maxScore = '+inf';
    let afterId: string | undefined;
    if (cursor) {
      const m = /^(\d+):(.+)$/.exec(cursor);
      if (m) {
        maxScore = m[1];
        afterId = m[2];
      }
    }
    const items: AnalysisRecord[] = [];
    const batch = Math.max(limit * 2, 50);
    let offset = 0;
    let skipping = afterId !== undefined;
    for (;;) {
      const ids = await this.redis.zrevrangebyscore(Keys.analysesByTime, maxScore, '-inf', 'LIMIT', offset, batch);
      if (ids.length === 0) return { items, nextCursor: null };
      offset += ids.length;
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hgetall(Keys.analysis(id));
      const raws = ((await pipe.exec()) ?? []).map(([, v]) => decode(v as Record<string, string>));
      for (let i = 0; i < ids.length; i++) {
        if (skipping) {
          if (ids[i] === afterId) skipping = false;
          continue;
        }
        const rec = raws[i];
        if (!rec) continue;
        if (!matches(rec, filter)) continue;
        items.push(rec);
        if (items.length === limit) {
          const more = i < ids.length - 1 || ids.length === batch;
          return { items, nextCursor: more ? `${Date.parse(rec.createdAt)}:${rec.id}` : null };
        }
      }
      if (ids.length < batch) return { items, nextCursor: null };
    }
  }

  /**
   * Makes `entry` the digest's admission verdict, atomically, unless an analysis that finished
   * later (entry.finishedAt, else entry.at) holds it: the latest complete analysis wins whatever
   * order workers finish in. Subscribers (the admission webhook's in-process cache) drop their copy.
   */
  async setVerdict(entry: VerdictCacheEntry): Promise<{ applied: boolean; previous: VerdictCacheEntry | null }> {
    const finishedAt = entry.finishedAt ?? entry.at;
    const [applied, prev] = (await this.redis.eval(
      SET_VERDICT_SCRIPT,
      2,
      Keys.verdict(entry.digest),
      Keys.verdictChannel,
      JSON.stringify({ ...entry, finishedAt }),
      entry.analysisId,
      finishedAt,
      entry.digest,
    )) as [number, string | null];
    let previous: VerdictCacheEntry | null = null;
    try {
      previous = prev ? (JSON.parse(prev) as VerdictCacheEntry) : null;
    } catch {
      previous = null;
    }
    return { applied: applied === 1, previous };
  }

  async getVerdict(digest: string): Promise<VerdictCacheEntry | null> {
    const raw = await this.redis.get(Keys.verdict(digest));
    return raw ? (JSON.parse(raw) as VerdictCacheEntry) : null;
  }
}

function matches(rec: AnalysisRecord, f: AnalysisFilter): boolean {
  if (f.image && rec.image !== f.image) return false;
  if (f.digest && rec.digest !== f.digest && rec.imageId !== f.digest) return false;
  if (f.verdict && rec.verdict !== f.verdict) return false;
  if (f.status && rec.status !== f.status) return false;
  return true;
}
