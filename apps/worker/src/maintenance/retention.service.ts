import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from '#core/config/config';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { ArtifactStore } from '#core/storage/artifact.store';
import { type RetentionSummary, RetentionSweeper } from '#core/storage/retention';

/** How often the retention sweep runs (a BullMQ job scheduler; one runner at a time across workers). */
export const RETENTION_EVERY_MS = 6 * 3600_000;

/** The retention sweep with RETENTION_DAYS, logged; its summary is kept in Redis (q:retention:last) and as the job's result. */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);
  private readonly sweeper: RetentionSweeper;

  constructor(
    @Inject(REDIS) redis: Redis,
    artifacts: ArtifactStore,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.sweeper = new RetentionSweeper(redis, artifacts);
  }

  async sweep(jobId?: string): Promise<RetentionSummary | { skipped: 'another sweep is running' }> {
    const s = await this.sweeper.run({ retentionDays: this.config.retentionDays });
    if (!s) {
      this.logger.log({ msg: 'retention sweep skipped: another worker holds the lock', jobId });
      return { skipped: 'another sweep is running' };
    }
    this.logger.log({ msg: 'retention sweep done', jobId, ...s });
    return s;
  }
}
