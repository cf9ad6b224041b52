import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, type JobOf, QueueName, assertNever } from '#core/queue/queue.constants';
import { RescanService } from './rescan.service.js';

export const WATCHES_HANDLED: readonly JobName[] = [JobName.RescanWatch];

/** Rescans fired by each watch's BullMQ job scheduler (`watch-<id>`) or by POST /v1/watches/:id/run. */
@Processor(QueueName.Watches)
export class WatchesProcessor extends WorkerHost {
  private readonly logger = new Logger(WatchesProcessor.name);

  constructor(private readonly rescans: RescanService) {
    super();
  }

  async process(job: Job<JobOf<JobName.RescanWatch>['data'], unknown, JobName.RescanWatch>): Promise<unknown> {
    const name = job.name as JobName.RescanWatch;
    switch (name) {
      case JobName.RescanWatch: {
        const t0 = Date.now();
        const out = await this.rescans.rescan(job.data.watchId, String(job.id), job.data.requestedAt ? 'manual' : 'schedule');
        this.logger.log({ msg: 'rescan job done', jobId: job.id, watchId: job.data.watchId, analysisId: out.analysisId, outcome: out.outcome, durationMs: Date.now() - t0 });
        return out;
      }
      default:
        return assertNever(name);
    }
  }
}
