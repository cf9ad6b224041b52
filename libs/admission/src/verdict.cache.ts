import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { VerdictCacheEntry } from '#core/storage/analysis.types';
import { Keys } from '#core/storage/redis-keys';

interface Cached {
  entry: VerdictCacheEntry | null;
  at: number;
}

/**
 * An in-process copy of the verdict cache (`q:verdict:<digest>`), so admission answers from memory.
 * Kept fresh by Redis pub/sub (`q:verdict-updated`, published by every verdict write: the digest is
 * dropped at once) and a short TTL as a backstop. While the subscription is down nothing is served
 * from memory (an invalidation could have been missed): every lookup goes to Redis, and a Redis
 * that is down or slow makes the lookup fail, never wait forever (the connection has no offline
 * queue and a command timeout).
 */
export class VerdictCache {
  private readonly logger = new Logger(VerdictCache.name);
  private readonly entries = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<VerdictCacheEntry | null>>();
  private live = false;
  /** Bumped by every invalidation: a GET that overlapped one may carry the old value, so it is not cached. */
  private generation = 0;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** Subscribes to verdict updates. Resolves once subscribed, or after `waitMs` (it keeps trying). */
  async start(waitMs = 2000): Promise<void> {
    this.subscriber.on('message', (channel: string, digest: string) => {
      if (channel === Keys.verdictChannel) {
        this.generation++;
        this.entries.delete(digest);
      }
    });
    const down = () => {
      if (this.live) this.logger.warn('verdict subscription lost: serving from Redis only until it is back');
      this.live = false;
      this.entries.clear();
    };
    this.subscriber.on('close', () => {
      this.generation++;
      down();
    });
    this.subscriber.on('end', down);
    this.subscriber.on('ready', () => {
      // ioredis re-subscribes on reconnect; entries cached before the gap were cleared by `down`.
      this.subscriber.subscribe(Keys.verdictChannel).then(() => {
        this.entries.clear();
        this.live = true;
      }, () => undefined);
    });
    if (this.subscriber.status === 'ready') {
      await this.subscriber.subscribe(Keys.verdictChannel).then(() => (this.live = true), () => undefined);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      const check = setInterval(() => {
        if (this.live) {
          clearTimeout(t);
          clearInterval(check);
          resolve();
        }
      }, 20);
      t.unref();
      setTimeout(() => clearInterval(check), waitMs).unref();
    });
  }

  get subscribed(): boolean {
    return this.live;
  }

  /** The cached entry if fresh (`undefined` when not cached). Never touches Redis. */
  peek(digest: string): VerdictCacheEntry | null | undefined {
    if (!this.live) return undefined;
    const c = this.entries.get(digest);
    if (!c) return undefined;
    if (Date.now() - c.at > this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return c.entry;
  }

  /** The verdict of `digest` (null: never analysed); from memory when fresh, else one Redis GET shared by concurrent callers. */
  get(digest: string): Promise<VerdictCacheEntry | null> {
    const hit = this.peek(digest);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.inflight.get(digest);
    if (p) return p;
    const wasLive = this.live;
    const gen = this.generation;
    p = this.redis
      .get(Keys.verdict(digest))
      .then((raw) => {
        const entry = raw ? (JSON.parse(raw) as VerdictCacheEntry) : null;
        // Cache only if the subscription was live the whole time and no invalidation overlapped the GET.
        if (wasLive && this.live && gen === this.generation) {
          if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
          this.entries.set(digest, { entry, at: Date.now() });
        }
        return entry;
      })
      .finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, p);
    return p;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
