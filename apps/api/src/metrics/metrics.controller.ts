import { Controller, Get, Header, Inject, type OnModuleInit, Req, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Queue } from 'bullmq';
import Docker from 'dockerode';
import type { Redis } from 'ioredis';
import type { AppConfig } from '#core/config/config';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { Metrics } from '#core/metrics/metrics';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { QueueName } from '#core/queue/queue.constants';
import { Public } from '../auth/auth.decorators.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error('timeout')), ms)))]).finally(() => clearTimeout(t));
}

/**
 * GET /metrics: the API process' Prometheus metrics (docs/metrics.md), plus what is read when scraped:
 * queue depth by state and whether Redis and Docker answer. Not an API-key route (Prometheus scrapes
 * it); with METRICS_TOKEN set, only `Authorization: Bearer <token>` gets it.
 */
@Controller()
export class MetricsController implements OnModuleInit {
  private readonly docker = new Docker();

  constructor(
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const queues = Object.values(QueueName).flatMap((name) => {
      try {
        return [this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })];
      } catch {
        return [];
      }
    });
    this.metrics.onScrape(async () => {
      await Promise.all(
        queues.map(async (q) => {
          const counts = await within(q.getJobCounts(...JOB_STATES), 2000);
          for (const state of JOB_STATES) this.metrics.queueJobs.set({ queue: q.name, state }, counts[state] ?? 0);
        }),
      );
    });
    this.metrics.onScrape(async () => {
      const [redis, docker] = await Promise.all([
        within(this.redis.ping(), 1000).then(() => 1, () => 0),
        within(this.docker.ping(), 1000).then(() => 1, () => 0),
      ]);
      this.metrics.dependencyUp.set({ dependency: 'redis' }, redis);
      this.metrics.dependencyUp.set({ dependency: 'docker' }, docker);
    });
  }

  @Public()
  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Cache-Control', 'no-store')
  async scrape(@Req() req: { headers: { authorization?: string } }, @Res({ passthrough: true }) res: { setHeader(n: string, v: string): void }): Promise<string> {
    const check = this.config.metrics.tokenCheck;
    if (check && !check(req.headers.authorization)) {
      throw new DomainException(ErrorCode.Unauthorized, 401, 'metrics need the metrics token (METRICS_TOKEN) as a bearer token', [{ field: 'authorization', message: 'missing or wrong metrics token' }]);
    }
    res.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.render();
  }
}
