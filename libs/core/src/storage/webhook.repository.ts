import type { Redis } from 'ioredis';
import { SecretBox } from '../secrets/secret-box.js';
import type { DeliveryAttempt, DeliveryRecord, DeliveryStatus, WebhookSubscription } from '../webhooks/webhook.types.js';
import { Keys } from './redis-keys.js';

export interface OpenTicket {
  repository: string;
  findingsKey: string;
  /** The ticketing system's id (Jira key, ServiceNow sys_id) once the create call succeeded. */
  ref: string | null;
  createDeliveryId: string;
  openedAt: string;
  /** The analysis that opened it (kept by retention while the ticket is open); absent on tickets opened before retention. */
  analysisId?: string;
}

/** Deliveries (body, attempts) are kept 30 days, then expire with their index entries. */
export const DELIVERY_RETENTION_S = 30 * 24 * 3600;

export interface LastCompleted {
  analysisId: string;
  verdict: string | null;
}

/** KEYS[1] holds {current, previous}; a new analysis shifts current to previous; the same one changes nothing. */
const EXCHANGE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
local state = raw and cjson.decode(raw) or nil
if state and state.current and state.current.analysisId == ARGV[1] then
  if state.previous then return cjson.encode(state.previous) end
  return false
end
local prev = state and state.current or nil
local nextState = { current = cjson.decode(ARGV[2]) }
if prev then nextState.previous = prev end
redis.call('SET', KEYS[1], cjson.encode(nextState))
if prev then return cjson.encode(prev) end
return false`;

/** Replaces the current analysis's entry (a rescore changed its verdict); nothing if another is current. */
const REFRESH_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local state = cjson.decode(raw)
if not (state.current and state.current.analysisId == ARGV[1]) then return 0 end
state.current = cjson.decode(ARGV[2])
redis.call('SET', KEYS[1], cjson.encode(state))
return 1`;

/** SET KEYS[1] to ARGV[2] only if it still holds ARGV[1] (a re-encryption never overwrites a concurrent change). */
const CAS_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/** The fields of a subscription that are secrets, as stored (each an envelope bound to its record and field). */
type SecretField = 'secret' | 'previousSecret' | 'ticket.authorization';
const SECRET_FIELDS: readonly SecretField[] = ['secret', 'previousSecret', 'ticket.authorization'];

function readField(s: WebhookSubscription, f: SecretField): string | null | undefined {
  return f === 'ticket.authorization' ? s.ticket?.authorization : s[f];
}

function withField(s: WebhookSubscription, f: SecretField, v: string): WebhookSubscription {
  if (f === 'ticket.authorization') return { ...s, ticket: { ...s.ticket, authorization: v } };
  return { ...s, [f]: v };
}

export function secretAad(webhookId: string, field: SecretField): string {
  return `webhook:${webhookId}:${field}`;
}

/** What one re-encryption pass did (startup migration, `npm run secrets:reencrypt`). */
export interface ReencryptSummary {
  scanned: number;
  reencrypted: number;
  /** Plain-text secrets written by a version before encryption at rest, now encrypted. */
  plaintext: number;
  /** Expired previous secrets (rotation grace over) removed. */
  expiredDropped: number;
  failed: { id: string; error: string }[];
}

/**
 * Webhook subscriptions (with their signing secrets: they must be readable to sign), deliveries
 * with their attempts, the dead-letter list, and the open tickets of ticket formats.
 *
 * Secrets at rest: `secret`, `previousSecret` and `ticket.authorization` are stored as AES-256-GCM
 * envelopes (SecretBox), bound to the subscription id and field; reads decrypt, so callers see
 * plain text. Without a key nothing new is stored (SecretKeyMissingError); plain-text secrets
 * stored before this version are read as they are until the re-encryption pass encrypts them.
 * `onSecretsDeleted` runs after a subscription is deleted (the AOF rewrite, AofCompactor).
 */
export class WebhookRepository {
  constructor(
    private readonly redis: Redis,
    private readonly box: SecretBox = new SecretBox(null),
    private readonly onSecretsDeleted: () => void = () => undefined,
  ) {}

  async create(sub: WebhookSubscription): Promise<void> {
    await this.redis.multi().set(Keys.webhook(sub.id), this.seal(sub, null)).zadd(Keys.webhooks, Date.parse(sub.createdAt), sub.id).exec();
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const raw = await this.redis.get(Keys.webhook(id));
    return raw ? this.open(raw) : null;
  }

  async list(): Promise<WebhookSubscription[]> {
    const ids = await this.redis.zrange(Keys.webhooks, '0', '-1');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => Keys.webhook(id)));
    return raws.filter((r): r is string => r !== null).map((r) => this.open(r));
  }

  /** Read-modify-write of a subscription (patches are rare: a 410 disabling it, a secret rotation). */
  async patch(id: string, fn: (s: WebhookSubscription) => Partial<WebhookSubscription>): Promise<WebhookSubscription | null> {
    const raw = await this.redis.get(Keys.webhook(id));
    if (!raw) return null;
    const cur = this.open(raw);
    const next = { ...cur, ...fn(cur) };
    const ok = await this.redis.set(Keys.webhook(id), this.seal(next, JSON.parse(raw) as WebhookSubscription), 'XX');
    return ok === 'OK' ? next : null;
  }

  async remove(id: string): Promise<boolean> {
    const res = (await this.redis.multi().del(Keys.webhook(id)).zrem(Keys.webhooks, id).exec()) as [[unknown, number]];
    const removed = res[0][1] === 1;
    if (removed) this.onSecretsDeleted();
    return removed;
  }

  /**
   * Brings every stored subscription to the current key: plain-text secrets (stored before
   * encryption at rest) and envelopes of a previous key are encrypted anew, expired previous
   * secrets dropped. Each record is replaced only if unchanged meanwhile (compare-and-set), so
   * replicas may run it at once. Pages through the index; never KEYS.
   */
  async reencryptAll(now = Date.now(), pageSize = 200): Promise<ReencryptSummary> {
    const out: ReencryptSummary = { scanned: 0, reencrypted: 0, plaintext: 0, expiredDropped: 0, failed: [] };
    if (!this.box.canEncrypt) return out;
    for (let start = 0; ; start += pageSize) {
      const ids = await this.redis.zrange(Keys.webhooks, String(start), String(start + pageSize - 1));
      for (const id of ids) {
        out.scanned++;
        try {
          for (let attempt = 0; attempt < 5; attempt++) {
            const raw = await this.redis.get(Keys.webhook(id));
            if (!raw) break;
            const stored = JSON.parse(raw) as WebhookSubscription;
            const expired = Boolean(stored.previousSecret && (!stored.previousSecretExpiresAt || Date.parse(stored.previousSecretExpiresAt) <= now));
            const stale = SECRET_FIELDS.filter((f) => {
              const v = readField(stored, f);
              return typeof v === 'string' && v !== '' && !this.box.isCurrent(v);
            });
            if (stale.length === 0 && !expired) break;
            let sub = this.open(raw);
            if (expired) sub = { ...sub, previousSecret: null, previousSecretExpiresAt: null };
            const plain = stale.filter((f) => !readField(stored, f)!.startsWith('qenc:')).length;
            if ((await this.redis.eval(CAS_SCRIPT, 1, Keys.webhook(id), raw, this.seal(sub, null))) === 1) {
              out.reencrypted++;
              out.plaintext += plain;
              if (expired) out.expiredDropped++;
              break;
            }
          }
        } catch (e) {
          out.failed.push({ id, error: (e as Error).message });
        }
      }
      if (ids.length < pageSize) break;
    }
    return out;
  }

  /** The stored JSON: each secret field an envelope; one already current and unchanged is kept as stored. */
  private seal(sub: WebhookSubscription, stored: WebhookSubscription | null): string {
    let out = sub;
    for (const f of SECRET_FIELDS) {
      const v = readField(sub, f);
      if (typeof v !== 'string' || v === '') continue;
      const prev = stored ? readField(stored, f) : undefined;
      const aad = secretAad(sub.id, f);
      if (typeof prev === 'string' && prev !== '' && (!this.box.canEncrypt || this.box.isCurrent(prev)) && this.box.decrypt(prev, aad) === v) out = withField(out, f, prev);
      else out = withField(out, f, this.box.encrypt(v, aad));
    }
    return JSON.stringify(out);
  }

  private open(raw: string): WebhookSubscription {
    let sub = JSON.parse(raw) as WebhookSubscription;
    for (const f of SECRET_FIELDS) {
      const v = readField(sub, f);
      if (typeof v === 'string' && v !== '') sub = withField(sub, f, this.box.decrypt(v, secretAad(sub.id, f)));
    }
    return sub;
  }

  /** Stores a delivery unless it exists (same id = same event for the same subscription). True if created. */
  async createDelivery(d: DeliveryRecord): Promise<boolean> {
    const { attempts: _attempts, ...meta } = d;
    const created = await this.redis.set(Keys.delivery(d.id), JSON.stringify(meta), 'EX', DELIVERY_RETENTION_S, 'NX');
    if (created !== 'OK') return false;
    const horizon = Date.now() - DELIVERY_RETENTION_S * 1000;
    await this.redis
      .multi()
      .zadd(Keys.webhookDeliveries(d.webhookId), Date.parse(d.createdAt), d.id)
      .zremrangebyscore(Keys.webhookDeliveries(d.webhookId), '-inf', horizon)
      .zremrangebyscore(Keys.deadLetters, '-inf', horizon)
      .exec();
    return true;
  }

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const [raw, attempts] = await Promise.all([this.redis.get(Keys.delivery(id)), this.redis.lrange(Keys.deliveryAttempts(id), 0, -1)]);
    if (!raw) return null;
    return { ...(JSON.parse(raw) as Omit<DeliveryRecord, 'attempts'>), attempts: attempts.map((a) => JSON.parse(a) as DeliveryAttempt) };
  }

  async updateDelivery(id: string, patch: Partial<Omit<DeliveryRecord, 'attempts' | 'id'>>): Promise<void> {
    const raw = await this.redis.get(Keys.delivery(id));
    if (!raw) return;
    await this.redis.set(Keys.delivery(id), JSON.stringify({ ...JSON.parse(raw), ...patch }), 'KEEPTTL', 'XX');
  }

  async addAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    await this.redis.multi().rpush(Keys.deliveryAttempts(id), JSON.stringify(attempt)).expire(Keys.deliveryAttempts(id), DELIVERY_RETENTION_S).exec();
  }

  async setDeliveryStatus(id: string, status: DeliveryStatus, extra: Partial<DeliveryRecord> = {}): Promise<void> {
    const multi = this.redis.multi();
    if (status === 'dead') multi.zadd(Keys.deadLetters, Date.now(), id);
    else multi.zrem(Keys.deadLetters, id);
    await multi.exec();
    await this.updateDelivery(id, { ...extra, status });
  }

  /** A subscription's deliveries, newest first. */
  async deliveries(webhookId: string, limit = 50): Promise<DeliveryRecord[]> {
    const ids = await this.redis.zrevrange(Keys.webhookDeliveries(webhookId), 0, limit - 1);
    const out: DeliveryRecord[] = [];
    for (const id of ids) {
      const d = await this.getDelivery(id);
      if (d) out.push(d);
    }
    return out;
  }

  async deadLetters(limit = 100): Promise<string[]> {
    return this.redis.zrevrange(Keys.deadLetters, 0, limit - 1);
  }

  /**
   * Records `current` as the latest completed analysis of `image` and returns the one it replaces,
   * in O(1). Idempotent for retries: asking again for the same analysis returns the same previous.
   */
  async exchangeLastCompleted(image: string, current: LastCompleted): Promise<LastCompleted | null> {
    const raw = (await this.redis.eval(EXCHANGE_SCRIPT, 1, Keys.imageLastCompleted(image), current.analysisId, JSON.stringify(current))) as string | null;
    return raw ? (JSON.parse(raw) as LastCompleted) : null;
  }

  /**
   * The same exchange among analyses that count for admission only: what `verdict.changed`
   * compares with (docs/run-integrity.md), so a run that does not count never moves it.
   */
  async exchangeLastAdmission(image: string, current: LastCompleted): Promise<LastCompleted | null> {
    const raw = (await this.redis.eval(EXCHANGE_SCRIPT, 1, Keys.imageLastAdmission(image), current.analysisId, JSON.stringify(current))) as string | null;
    return raw ? (JSON.parse(raw) as LastCompleted) : null;
  }

  /** A rescore changed the verdict of the image's latest admission analysis: later runs compare with the new one. */
  async refreshLastAdmission(image: string, current: LastCompleted): Promise<void> {
    await this.redis.eval(REFRESH_SCRIPT, 1, Keys.imageLastAdmission(image), current.analysisId, JSON.stringify(current));
  }

  /**
   * Opens the ticket of (subscription, repository, finding set) unless one is open already.
   * Returns true when this call opened it (the caller then sends the create call).
   */
  async openTicket(webhookId: string, t: OpenTicket): Promise<boolean> {
    const ok = await this.redis.set(Keys.ticket(webhookId, t.repository, t.findingsKey), JSON.stringify(t), 'NX');
    if (ok !== 'OK') return false;
    await this.redis.sadd(Keys.openTickets(webhookId, t.repository), t.findingsKey);
    return true;
  }

  async getTicket(webhookId: string, repository: string, findingsKey: string): Promise<OpenTicket | null> {
    const raw = await this.redis.get(Keys.ticket(webhookId, repository, findingsKey));
    return raw ? (JSON.parse(raw) as OpenTicket) : null;
  }

  async setTicketRef(webhookId: string, repository: string, findingsKey: string, ref: string): Promise<void> {
    const t = await this.getTicket(webhookId, repository, findingsKey);
    if (t) await this.redis.set(Keys.ticket(webhookId, repository, findingsKey), JSON.stringify({ ...t, ref }), 'XX');
  }

  /**
   * Claims every open ticket of a repository for resolution: each finding-set key is returned to
   * exactly one caller (SREM), so two clean rescans do not resolve a ticket twice.
   */
  async claimOpenTickets(webhookId: string, repository: string): Promise<string[]> {
    const keys = await this.redis.smembers(Keys.openTickets(webhookId, repository));
    const claimed: string[] = [];
    for (const k of keys) if ((await this.redis.srem(Keys.openTickets(webhookId, repository), k)) === 1) claimed.push(k);
    return claimed;
  }

  /** Forgets a resolved ticket, so the same finding set can open a new one later. */
  async closeTicket(webhookId: string, repository: string, findingsKey: string): Promise<void> {
    await this.redis.del(Keys.ticket(webhookId, repository, findingsKey));
  }
}
