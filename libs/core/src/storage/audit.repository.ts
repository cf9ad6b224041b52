import type { Redis } from 'ioredis';
import { Keys } from './redis-keys.js';

/** `attempt` is written before an audited change runs, `ok`/`failed` after it, `denied` when the policy refused it. */
export type AuditResult = 'attempt' | 'ok' | 'failed' | 'denied';

export interface AuditActor {
  /** API key id (`bootstrap-admin` for QUARANTINE_ADMIN_KEY), or the Kubernetes user of an admission review. */
  keyId: string;
  name: string;
  /** `analyst`, `admin`, or `kubernetes` for admission reviews. */
  role: string;
  /** The client's address as the API saw it. */
  address: string | null;
}

export interface AuditEntry {
  at: string;
  actor: AuditActor;
  /** `<resource>.<action>`, e.g. `analysis.cancel`, `api-key.create`, `admission.override`. */
  action: string;
  resource: { type: string; id: string | null };
  result: AuditResult;
  /** HTTP status of the outcome (ok/failed/denied). */
  status?: number;
  /** Ties the attempt and the outcome of one request together. */
  requestId: string;
  detail?: string;
}

export interface StoredAuditEntry extends AuditEntry {
  /** The stream id: also the cursor of GET /v1/audit. */
  id: string;
}

export interface AuditQuery {
  /** Only entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  action?: string;
  actor?: string;
  limit: number;
  /** Stream id of the last entry of the previous page (newest first: continue below it). */
  cursor?: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** Entries one query examines at most, so a selective filter over a long log stays bounded. */
export const AUDIT_SCAN_MAX = 2000;

/**
 * The audit log: one Redis stream, newest last, trimmed by age at every append (`XADD … MINID`, exact: it removes only what expired since the last append)
 * so nothing older than the retention survives a write; reads also skip anything older.
 */
export class AuditRepository {
  constructor(
    private readonly redis: Redis,
    private readonly retentionDays: number,
  ) {}

  private horizonMs(now = Date.now()): number {
    return now - this.retentionDays * DAY_MS;
  }

  async append(entry: AuditEntry): Promise<string> {
    const id = await this.redis.xadd(Keys.audit, 'MINID', String(this.horizonMs()), '*', 'e', JSON.stringify(entry));
    return id as string;
  }

  /** Newest first, filtered by action and actor (key id), at most AUDIT_SCAN_MAX entries examined per call. */
  async query(q: AuditQuery): Promise<{ items: StoredAuditEntry[]; nextCursor: string | null }> {
    const floor = Math.max(q.sinceMs ?? 0, this.horizonMs());
    const items: StoredAuditEntry[] = [];
    let end = q.cursor ? `(${q.cursor}` : '+';
    let scanned = 0;
    const batch = Math.min(AUDIT_SCAN_MAX, Math.max(q.limit * 4, 100));
    while (scanned < AUDIT_SCAN_MAX) {
      const rows = (await this.redis.xrevrange(Keys.audit, end, String(floor), 'COUNT', batch)) as [string, string[]][];
      for (const [id, fields] of rows) {
        scanned++;
        const raw = fields[fields.indexOf('e') + 1];
        let e: AuditEntry;
        try {
          e = JSON.parse(raw) as AuditEntry;
        } catch {
          continue;
        }
        if (q.action && e.action !== q.action) continue;
        if (q.actor && e.actor?.keyId !== q.actor) continue;
        items.push({ id, ...e });
        if (items.length === q.limit) return { items, nextCursor: id };
      }
      if (rows.length < batch) return { items, nextCursor: null };
      end = `(${rows[rows.length - 1][0]}`;
    }
    // Examined the maximum without filling the page: hand back where to continue.
    return { items, nextCursor: end.slice(1) };
  }
}
