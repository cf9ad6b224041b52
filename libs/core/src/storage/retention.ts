import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { ArtifactStore } from './artifact.store.js';
import { KEY_PREFIX, Keys } from './redis-keys.js';
import type { OpenTicket } from './webhook.repository.js';

export interface RetentionSummary {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  retentionDays: number;
  /** Analyses created before this are deleted unless kept. */
  cutoff: string;
  /** Analyses looked at (all of them: the recent ones tell which digests have a newer analysis). */
  scanned: number;
  deleted: number;
  kept: {
    /** The newest analysis of its image digest. */
    latestOfDigest: number;
    /** Referenced: a digest's admission verdict, an image's latest completed run, an open ticket, a watch's last run. */
    referenced: number;
    /** Not finished (queued, running): never deleted. */
    inProgress: number;
  };
  /** Index entries whose analysis record was already gone. */
  orphanIndexEntries: number;
  watchRunsRemoved: number;
  artifactDirsRemoved: number;
  /** Artifact directories older than the cutoff with no analysis record (left by deletions or crashes). */
  orphanArtifactDirsRemoved: number;
}

export interface RetentionOptions {
  retentionDays: number;
  /** Analyses read per page (HMGET pipeline / ZREVRANGEBYSCORE LIMIT). */
  pageSize?: number;
  now?: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'rejected']);

/**
 * Deletes one analysis if it is still finished and does not hold its digest's admission verdict
 * (KEYS: analysis hash, time index, verdict key or a dummy; ARGV: id). O(fields of one record).
 */
const DELETE_SCRIPT = `
local s = redis.call('HGET', KEYS[1], 'status')
if s and s ~= '"completed"' and s ~= '"failed"' and s ~= '"cancelled"' and s ~= '"rejected"' then return 0 end
local v = redis.call('GET', KEYS[3])
if v then
  local ok, c = pcall(cjson.decode, v)
  if ok and type(c) == 'table' and c.analysisId == ARGV[1] then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

/** Deletes the lock only if this runner still holds it. */
const UNLOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

interface Row {
  id: string;
  score: number;
  exists: boolean;
  status: string | null;
  digestKey: string | null;
  watchId: string | null;
}

/**
 * Retention (RETENTION_DAYS): deletes analyses created before the cutoff with everything that
 * belongs to them — the record, its entry in the time index, its runs in its watch's history, its
 * artifact directory (trace, events, report) — but keeps the newest analysis of each image digest,
 * anything referenced (a digest's admission verdict, an image's latest completed analysis, an open
 * ticket, a watch's last run) and anything not finished. Works in pages (ZREVRANGEBYSCORE with
 * LIMIT, SCAN with COUNT, one short script per deleted analysis); one runner at a time (a lock).
 */
export class RetentionSweeper {
  private readonly lockMs = 10 * 60_000;

  constructor(
    private readonly redis: Redis,
    private readonly artifacts: ArtifactStore,
  ) {}

  /** Runs a sweep unless another runner holds the lock (then null). Stores the summary in Keys.retentionLast. */
  async run(opts: RetentionOptions): Promise<RetentionSummary | null> {
    const token = randomUUID();
    if ((await this.redis.set(Keys.retentionLock, token, 'PX', this.lockMs, 'NX')) !== 'OK') return null;
    try {
      const summary = await this.sweep(opts, () => this.redis.eval(EXTEND_SCRIPT, 1, Keys.retentionLock, token, String(this.lockMs)).then(() => undefined));
      await this.redis.set(Keys.retentionLast, JSON.stringify(summary));
      return summary;
    } finally {
      await this.redis.eval(UNLOCK_SCRIPT, 1, Keys.retentionLock, token).catch(() => undefined);
    }
  }

  async lastRun(): Promise<RetentionSummary | null> {
    const raw = await this.redis.get(Keys.retentionLast);
    return raw ? (JSON.parse(raw) as RetentionSummary) : null;
  }

  private async sweep(opts: RetentionOptions, keepLock: () => Promise<void>): Promise<RetentionSummary> {
    const t0 = Date.now();
    const now = opts.now ?? t0;
    const page = opts.pageSize ?? 500;
    const cutoffMs = now - opts.retentionDays * 86_400_000;
    const s: RetentionSummary = {
      startedAt: new Date(t0).toISOString(),
      finishedAt: '',
      durationMs: 0,
      retentionDays: opts.retentionDays,
      cutoff: new Date(cutoffMs).toISOString(),
      scanned: 0,
      deleted: 0,
      kept: { latestOfDigest: 0, referenced: 0, inProgress: 0 },
      orphanIndexEntries: 0,
      watchRunsRemoved: 0,
      artifactDirsRemoved: 0,
      orphanArtifactDirsRemoved: 0,
    };
    const referenced = await this.referencedIds(page);
    await keepLock();

    // 1. Recent analyses (no deletions): which digests already have a newer analysis.
    const seenDigests = new Set<string>();
    for (let offset = 0; ; offset += page) {
      const rows = await this.rows(await this.redis.zrevrangebyscore(Keys.analysesByTime, '+inf', cutoffMs, 'WITHSCORES', 'LIMIT', offset, page));
      s.scanned += rows.length;
      for (const r of rows) if (r.digestKey) seenDigests.add(r.digestKey);
      if (rows.length < page) break;
    }

    // 2. Old analyses, newest first: the first one met of each digest is its latest. Deleted
    // entries leave the index, so the next page starts after the ones kept.
    const deletedByWatch = new Map<string, Set<string>>();
    const deletedIds: string[] = [];
    for (let keptSoFar = 0; ; ) {
      const rows = await this.rows(await this.redis.zrevrangebyscore(Keys.analysesByTime, `(${cutoffMs}`, '-inf', 'WITHSCORES', 'LIMIT', keptSoFar, page));
      s.scanned += rows.length;
      const doomed: Row[] = [];
      for (const r of rows) {
        if (!r.exists) {
          doomed.push(r);
          continue;
        }
        const latest = r.digestKey !== null && !seenDigests.has(r.digestKey);
        if (r.digestKey) seenDigests.add(r.digestKey);
        if (r.status === null || !TERMINAL.has(r.status)) s.kept.inProgress++;
        else if (referenced.has(r.id)) s.kept.referenced++;
        else if (latest) s.kept.latestOfDigest++;
        else {
          doomed.push(r);
          continue;
        }
        keptSoFar++;
      }
      if (doomed.length > 0) {
        const pipe = this.redis.pipeline();
        for (const r of doomed) {
          if (!r.exists) pipe.zrem(Keys.analysesByTime, r.id);
          else pipe.eval(DELETE_SCRIPT, 3, Keys.analysis(r.id), Keys.analysesByTime, r.digestKey ? Keys.verdict(r.digestKey) : `${KEY_PREFIX}retention:none`, r.id);
        }
        const res = (await pipe.exec()) ?? [];
        for (let i = 0; i < doomed.length; i++) {
          const r = doomed[i];
          const [err, n] = res[i] ?? [];
          if (err) throw err;
          if (!r.exists) {
            s.orphanIndexEntries += Number(n) > 0 ? 1 : 0;
            continue;
          }
          if (Number(n) !== 1) {
            keptSoFar++; // changed meanwhile (restarted, or now holds its digest's verdict): kept
            s.kept.referenced++;
            continue;
          }
          s.deleted++;
          deletedIds.push(r.id);
          if (r.watchId) {
            if (!deletedByWatch.has(r.watchId)) deletedByWatch.set(r.watchId, new Set());
            deletedByWatch.get(r.watchId)!.add(r.id);
          }
        }
        for (const id of deletedIds.splice(0)) {
          // An id that is not a valid directory name has no artifacts (ArtifactStore refuses it).
          if (await this.artifacts.remove(id).then(() => true, () => false)) s.artifactDirsRemoved++;
        }
        await keepLock();
      }
      if (rows.length < page) break;
    }

    // 3. The deleted analyses' entries in their watches' run lists.
    for (const [watchId, ids] of deletedByWatch) {
      const runs = await this.redis.lrange(Keys.watchRuns(watchId), 0, -1);
      const pipe = this.redis.pipeline();
      let n = 0;
      for (const raw of new Set(runs)) {
        try {
          if (ids.has((JSON.parse(raw) as { analysisId?: string }).analysisId ?? '')) {
            pipe.lrem(Keys.watchRuns(watchId), 0, raw);
            n++;
          }
        } catch {
          /* not ours to judge */
        }
      }
      if (n > 0) for (const [, removed] of (await pipe.exec()) ?? []) s.watchRunsRemoved += Number(removed) || 0;
    }

    // 4. Artifact directories with no record, older than the cutoff.
    s.orphanArtifactDirsRemoved = await this.orphanDirs(cutoffMs, page);

    s.finishedAt = new Date().toISOString();
    s.durationMs = Date.now() - t0;
    return s;
  }

  /** Decoded HMGET of a page of ids (WITHSCORES reply). */
  private async rows(withScores: string[]): Promise<Row[]> {
    if (withScores.length === 0) return [];
    const pipe = this.redis.pipeline();
    const ids: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < withScores.length; i += 2) {
      ids.push(withScores[i]);
      scores.push(Number(withScores[i + 1]));
      pipe.hmget(Keys.analysis(withScores[i]), 'id', 'status', 'digest', 'imageId', 'watchId');
    }
    const res = (await pipe.exec()) ?? [];
    return ids.map((id, i) => {
      const [idF, status, digest, imageId, watchId] = (res[i]?.[1] as (string | null)[]) ?? [];
      const j = (v: string | null | undefined) => {
        if (v === null || v === undefined) return null;
        try {
          const x = JSON.parse(v) as unknown;
          return typeof x === 'string' ? x : null;
        } catch {
          return null;
        }
      };
      return { id, score: scores[i], exists: idF !== null && idF !== undefined, status: j(status), digestKey: j(digest) ?? j(imageId), watchId: j(watchId) };
    });
  }

  /**
   * Ids that must stay whatever their age: each digest's admission verdict, each image's latest
   * completed analysis (both kinds), each open ticket's analysis, each watch's last analysis.
   */
  private async referencedIds(page: number): Promise<Set<string>> {
    const out = new Set<string>();
    const add = (v: unknown) => {
      if (typeof v === 'string' && v) out.add(v);
    };
    await this.scanValues(`${KEY_PREFIX}verdict:*`, page, (raw) => add((JSON.parse(raw) as { analysisId?: string }).analysisId));
    for (const pattern of [`${KEY_PREFIX}image-last:*`, `${KEY_PREFIX}image-last-admission:*`]) {
      await this.scanValues(pattern, page, (raw) => add((JSON.parse(raw) as { current?: { analysisId?: string } }).current?.analysisId));
    }
    const viaDelivery: string[] = [];
    await this.scanValues(`${KEY_PREFIX}ticket:*`, page, (raw) => {
      const t = JSON.parse(raw) as OpenTicket;
      if (t.analysisId) add(t.analysisId);
      else if (t.createDeliveryId) viaDelivery.push(t.createDeliveryId);
    });
    // Tickets opened before they recorded their analysis: the create delivery names it (while it lasts).
    for (let i = 0; i < viaDelivery.length; i += page) {
      const raws = await this.redis.mget(viaDelivery.slice(i, i + page).map((d) => Keys.delivery(d)));
      for (const raw of raws) if (raw) add((JSON.parse(raw) as { analysisId?: string }).analysisId);
    }
    for (let offset = 0; ; offset += page) {
      const ids = await this.redis.zrange(Keys.watches, String(offset), String(offset + page - 1));
      if (ids.length === 0) break;
      for (const raw of await this.redis.mget(ids.map((id) => Keys.watch(id)))) if (raw) add((JSON.parse(raw) as { lastAnalysisId?: string }).lastAnalysisId);
      if (ids.length < page) break;
    }
    return out;
  }

  /** SCAN MATCH pattern, GET the string values in pages; unparsable values are skipped. */
  private async scanValues(pattern: string, count: number, each: (raw: string) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', count, 'TYPE', 'string');
      cursor = next;
      if (keys.length === 0) continue;
      for (const raw of await this.redis.mget(keys)) {
        if (!raw) continue;
        try {
          each(raw);
        } catch {
          /* a value that is not ours */
        }
      }
    } while (cursor !== '0');
  }

  private async orphanDirs(cutoffMs: number, page: number): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(this.artifacts.root, { withFileTypes: true })).filter((d) => d.isDirectory() && /^[A-Za-z0-9_-]{1,64}$/.test(d.name)).map((d) => d.name);
    } catch {
      return 0;
    }
    let removed = 0;
    for (let i = 0; i < names.length; i += page) {
      const batch = names.slice(i, i + page);
      const pipe = this.redis.pipeline();
      for (const n of batch) pipe.exists(Keys.analysis(n));
      const res = (await pipe.exec()) ?? [];
      for (let j = 0; j < batch.length; j++) {
        if (Number(res[j]?.[1]) !== 0) continue;
        const st = await stat(this.artifacts.dir(batch[j])).catch(() => null);
        if (!st || st.mtimeMs >= cutoffMs) continue;
        await this.artifacts.remove(batch[j]);
        removed++;
      }
    }
    return removed;
  }
}
