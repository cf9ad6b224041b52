import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

export interface AofCompactorOptions {
  /** Deletions within this window share one rewrite. */
  debounceMs?: number;
  /** A rewrite already running may have forked before the deletion: ask again after this long. */
  retryMs?: number;
  /** Gives up (and logs) after this many refused attempts. */
  maxRetries?: number;
}

export type RewriteOutcome = 'started' | 'disabled' | 'busy' | 'unsupported';

/**
 * Redis keeps every write in its append-only file until the file is rewritten: a deleted
 * webhook's secret (even encrypted) stays on disk until then. After a deletion of a record that
 * carried a secret, this asks Redis for BGREWRITEAOF — debounced, only when AOF is on, and again
 * later when a rewrite was already running (it may have forked before the deletion, so its file
 * can still hold the secret). A Redis that refuses the command (managed services) is logged once.
 */
export class AofCompactor {
  private readonly logger = new Logger(AofCompactor.name);
  private timer: NodeJS.Timeout | null = null;
  private retries = 0;
  private unsupported = false;
  private closed = false;
  private running = false;
  /** A request arrived while an attempt was running. */
  private again = false;
  private pending = false;
  private readonly debounceMs: number;
  private readonly retryMs: number;
  private readonly maxRetries: number;
  /** Settles when no rewrite request is pending (tests). */
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  lastOutcome: RewriteOutcome | null = null;
  /** Attempts refused because a rewrite was already running (asked again later). */
  busyCount = 0;

  constructor(
    private readonly redis: Redis,
    opts: AofCompactorOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 2000;
    this.retryMs = opts.retryMs ?? 1000;
    this.maxRetries = opts.maxRetries ?? 300;
  }

  /** A secret-bearing record was deleted: rewrite the AOF soon. Never throws. */
  request(): void {
    if (this.closed || this.unsupported) return;
    // An attempt under way may already have forked its rewrite: one more after it.
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.retries = 0;
    if (!this.pending) {
      this.pending = true;
      this.idle = new Promise((r) => (this.markIdle = r));
    }
    this.arm(this.debounceMs);
  }

  /** Resolves once the pending request (if any) has started a rewrite or given up. */
  settled(): Promise<void> {
    return this.idle;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.done();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => void this.fire(), ms);
    this.timer.unref();
  }

  private done(): void {
    this.pending = false;
    this.markIdle();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    this.running = true;
    this.again = false;
    let outcome: RewriteOutcome;
    try {
      outcome = await this.rewriteNow();
    } catch (e) {
      this.logger.warn(`BGREWRITEAOF failed: ${(e as Error).message}`);
      outcome = 'busy';
    }
    this.running = false;
    this.lastOutcome = outcome;
    if (outcome === 'busy') this.busyCount++;
    if (this.closed) return this.done();
    if (outcome === 'busy' && ++this.retries <= this.maxRetries) return this.arm(this.retryMs);
    if (outcome === 'busy') this.logger.warn(`BGREWRITEAOF still refused after ${this.maxRetries} attempts; deleted secrets stay in the AOF until the next rewrite`);
    if (this.again && outcome === 'started') {
      this.retries = 0;
      return this.arm(this.retryMs);
    }
    this.done();
  }

  /** One attempt: INFO persistence, then BGREWRITEAOF unless AOF is off or a rewrite is running. */
  async rewriteNow(): Promise<RewriteOutcome> {
    const info = await this.redis.info('persistence');
    const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
    if (field('aof_enabled') !== '1') return 'disabled';
    if (field('aof_rewrite_in_progress') === '1') return 'busy';
    try {
      await this.redis.bgrewriteaof();
      this.logger.log('AOF rewrite started after a secret-bearing record was deleted');
      return 'started';
    } catch (e) {
      const msg = (e as Error).message;
      if (/in progress/i.test(msg)) return 'busy';
      if (/unknown command|NOPERM|no permissions|disabled/i.test(msg)) {
        this.unsupported = true;
        this.logger.warn(`BGREWRITEAOF refused (${msg}): schedule AOF rewrites on the Redis side (docs/security.md)`);
        return 'unsupported';
      }
      throw e;
    }
  }
}
