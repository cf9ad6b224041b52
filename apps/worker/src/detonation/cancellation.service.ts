import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { logRedisErrors } from '#core/nest/core.module';
import { REDIS } from '#core/nest/tokens';
import { Keys } from '#core/storage/redis-keys';

/**
 * Listens for cancellations published by the API and aborts the matching running analysis in
 * this worker (the sandbox is killed by the abort).
 */
@Injectable()
export class CancellationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CancellationService.name);
  private readonly running = new Map<string, AbortController>();
  private sub?: Redis;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onModuleInit(): Promise<void> {
    // duplicate() copies options, not listeners: without its own `error` listener an outage logs "Unhandled error event".
    this.sub = logRedisErrors(this.redis.duplicate({ connectionName: 'quarantine-worker-cancel' }), 'quarantine-worker-cancel');
    this.sub.on('message', (_channel: string, id: string) => this.abort(id));
    await this.sub.subscribe(Keys.cancelChannel);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sub?.quit().catch(() => this.sub?.disconnect());
  }

  register(analysisId: string): AbortController {
    const ac = new AbortController();
    this.running.set(analysisId, ac);
    return ac;
  }

  unregister(analysisId: string): void {
    this.running.delete(analysisId);
  }

  private abort(analysisId: string): void {
    const ac = this.running.get(analysisId);
    if (!ac) return;
    this.logger.log({ msg: 'cancelling running analysis', analysisId });
    ac.abort();
  }
}
