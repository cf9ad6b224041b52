import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from '#core/config/config';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { type ParsedEvent, RegistryEventError, parseRegistryEvents } from '#core/image/registry-events';
import { matchesRegistryPrefix } from '#core/image/supply-chain';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import type { Principal } from '#core/storage/api-key.repository';
import { Keys } from '#core/storage/redis-keys';
import { imageGlobMatch } from '#core/text/glob';
import { AnalysesService } from '../analyses/analyses.service.js';
import type { CreateAnalysisDto } from '../analyses/dto/create-analysis.dto.js';

/** The principal push-triggered analyses are submitted as (no quota: one analysis per pushed digest). */
export const REGISTRY_EVENTS_PRINCIPAL: Principal = { keyId: 'system:registry-events', name: 'registry push trigger', role: 'analyst' };

export interface EventOutcome {
  index: number;
  outcome: 'queued' | 'duplicate' | 'ignored';
  reason?: string;
  image?: string;
  tag?: string;
  analysisId?: string;
}

export interface EventsAnswer {
  source: 'distribution' | 'harbor';
  received: number;
  queued: number;
  duplicates: number;
  ignored: number;
  events: EventOutcome[];
}

/** Events of one request handled at once. */
const EVENT_CONCURRENCY = 8;

/** SET NX placeholder while the analysis is being created. */
const PENDING = 'pending';

/**
 * Registry push triggers (docs/registries.md): authenticates the sender (shared bearer token and/or
 * HMAC over the body), parses Distribution notifications and Harbor webhooks, and queues one
 * analysis per newly pushed manifest digest of a trusted registry whose repository passes the
 * filter. Deduplication: `SET NX` of registry/repository@digest (REGISTRY_EVENTS_DEDUPE_DAYS), so
 * the same digest pushed under another tag, or a notification delivered twice, queues nothing.
 */
@Injectable()
export class RegistryEventsService {
  private readonly logger = new Logger(RegistryEventsService.name);

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly profiles: ProfileRegistry,
    private readonly analyses: AnalysesService,
  ) {}

  /** Throws 503 when no authentication is configured, 401 when the request carries neither a valid token nor a valid signature. */
  authenticate(authorization: string | undefined, signature: string | undefined, rawBody: string | undefined): void {
    const ev = this.config.registries.events;
    if (!ev.tokenDigest && !ev.hmacSecret) {
      throw new DomainException(ErrorCode.Unavailable, 503, 'registry events are not configured: set REGISTRY_EVENTS_TOKEN and/or REGISTRY_EVENTS_HMAC_SECRET', [
        { field: 'REGISTRY_EVENTS_TOKEN', message: 'is not set' },
      ]);
    }
    if (ev.tokenDigest && typeof authorization === 'string') {
      const m = /^bearer\s+(.+)$/i.exec(authorization.trim());
      if (m && timingSafeEqual(createHash('sha256').update(m[1].trim()).digest(), ev.tokenDigest)) return;
    }
    if (ev.hmacSecret && typeof signature === 'string' && rawBody !== undefined) {
      const m = /^sha256=([a-f0-9]{64})$/i.exec(signature.trim());
      const want = createHmac('sha256', ev.hmacSecret.value).update(rawBody, 'utf8').digest();
      if (m && timingSafeEqual(Buffer.from(m[1].toLowerCase(), 'hex'), want)) return;
    }
    throw new DomainException(ErrorCode.Unauthorized, 401, 'registry events need "Authorization: Bearer <REGISTRY_EVENTS_TOKEN>" or a valid "X-Quarantine-Signature: sha256=<hmac>"', [
      { field: 'authorization', message: 'missing or invalid' },
    ]);
  }

  async receive(body: unknown): Promise<EventsAnswer> {
    const ev = this.config.registries.events;
    let parsed: ReturnType<typeof parseRegistryEvents>;
    try {
      parsed = parseRegistryEvents(body, ev.maxEvents);
    } catch (e) {
      if (e instanceof RegistryEventError) throw DomainException.validation(e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
    const profile = this.profiles.get(ev.profile);
    if (!profile) throw new DomainException(ErrorCode.UnknownProfile, 503, `REGISTRY_EVENTS_PROFILE names profile "${ev.profile}", which does not exist`, [{ field: 'REGISTRY_EVENTS_PROFILE', message: 'unknown profile' }]);
    // The same digest twice in one request (two tags pushed together): only the first is handled, the
    // others are its duplicates. The rest run a few at a time (each is a handful of Redis round trips),
    // so a 100-event envelope answers in a few round-trip times, not a hundred; the answer keeps the order.
    const keyOf = (e: ParsedEvent) => (e.kind === 'push' ? `${e.registry}/${e.repository}@${e.digest}` : null);
    const first = new Map<string, number>();
    const primary = parsed.events.filter((e) => {
      const k = keyOf(e);
      if (k === null) return true;
      if (first.has(k)) return false;
      first.set(k, e.index);
      return true;
    });
    const byIndex = new Map<number, EventOutcome>();
    for (let i = 0; i < primary.length; i += EVENT_CONCURRENCY) {
      const chunk = primary.slice(i, i + EVENT_CONCURRENCY);
      for (const o of await Promise.all(chunk.map((e) => this.handle(e, profile.supplyChain?.registries, parsed.source)))) byIndex.set(o.index, o);
    }
    const out = parsed.events.map((e): EventOutcome => {
      const mine = byIndex.get(e.index);
      if (mine) return mine;
      const firstOutcome = byIndex.get(first.get(keyOf(e)!)!)!;
      const tag = e.tag ? { tag: e.tag } : {};
      if (firstOutcome.outcome === 'ignored') return { ...firstOutcome, index: e.index, ...tag };
      return { index: e.index, outcome: 'duplicate', reason: 'this digest was already analysed for this repository', image: firstOutcome.image, ...tag, ...(firstOutcome.analysisId ? { analysisId: firstOutcome.analysisId } : {}) };
    });
    const count = (o: EventOutcome['outcome']) => out.filter((x) => x.outcome === o).length;
    const answer: EventsAnswer = { source: parsed.source, received: out.length, queued: count('queued'), duplicates: count('duplicate'), ignored: count('ignored'), events: out };
    if (answer.queued > 0 || answer.duplicates > 0) {
      this.logger.log({ msg: 'registry events', source: answer.source, received: answer.received, queued: answer.queued, duplicates: answer.duplicates, ignored: answer.ignored });
    }
    return answer;
  }

  private async handle(e: ParsedEvent, profileRegistries: readonly string[] | undefined, source: string): Promise<EventOutcome> {
    const tag = e.tag ? { tag: e.tag } : {};
    if (e.kind === 'ignored') return { index: e.index, outcome: 'ignored', reason: e.reason, ...tag };
    const ev = this.config.registries.events;
    const image = `${e.registry}/${e.repository}@${e.digest}`;
    const base = { index: e.index, image, ...tag };
    if (!this.config.trustedRegistries.some((r) => r.toLowerCase() === e.registry)) {
      return { ...base, outcome: 'ignored', reason: `registry ${e.registry} is not in TRUSTED_REGISTRIES` };
    }
    if (profileRegistries && !profileRegistries.some((p) => matchesRegistryPrefix(e.registry, e.repository, p))) {
      return { ...base, outcome: 'ignored', reason: `${e.registry}/${e.repository} is not under profile ${ev.profile}'s supplyChain.registries` };
    }
    if (!ev.repositories.some((g) => imageGlobMatch(g, `${e.registry}/${e.repository}`))) {
      return { ...base, outcome: 'ignored', reason: `${e.registry}/${e.repository} matches no REGISTRY_EVENTS_REPOSITORIES glob` };
    }
    const key = Keys.registryEventSeen(e.registry, e.repository, e.digest);
    const ttl = ev.dedupeDays * 86_400;
    if ((await this.redis.set(key, PENDING, 'EX', ttl, 'NX')) !== 'OK') {
      const seen = await this.redis.get(key);
      return { ...base, outcome: 'duplicate', reason: 'this digest was already analysed for this repository', ...(seen && seen !== PENDING ? { analysisId: seen } : {}) };
    }
    try {
      const labels: Record<string, string> = { 'registry-event': source, ...(e.tag ? { 'registry-event.tag': e.tag } : {}) };
      const rec = await this.analyses.submit({ image, profile: ev.profile, labels } as CreateAnalysisDto, REGISTRY_EVENTS_PRINCIPAL);
      await this.redis.set(key, rec.id, 'KEEPTTL');
      return { ...base, outcome: 'queued', analysisId: rec.id };
    } catch (err) {
      // Not queued: forget the digest so the registry's retry of this notification queues it.
      await this.redis.del(key).catch(() => undefined);
      throw err;
    }
  }
}
