import { Processor, WorkerHost } from '@nestjs/bullmq';
import { RunMetrics } from '../run-metrics.service.js';
import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job, UnrecoverableError, type WorkerOptions } from 'bullmq';
import type { AppConfig } from '#core/config/config';
import { CONFIG } from '#core/nest/tokens';
import { JobName, type JobOf, QueueName, assertNever } from '#core/queue/queue.constants';
import { NotifierService } from '../webhooks/notifier.service.js';
import { DetonationService } from './detonation.service.js';
import { RescoreService } from './rescore.service.js';

/** Handlers of this queue, checked at boot against every job name routed to it. */
export const ANALYSIS_HANDLED: readonly JobName[] = [JobName.Detonate, JobName.Rescore];

type AnalysisJob = Job<JobOf<JobName.Detonate | JobName.Rescore>['data'], unknown, JobName.Detonate | JobName.Rescore>;

/**
 * The analysis worker's BullMQ options from the validated config: WORKER_LOCK_MS is how long a job
 * stays locked to a worker that stopped renewing it. WorkerModule.forRoot applies them.
 */
export function analysisWorkerOptions(config: Pick<AppConfig, 'workerLockMs'>): Partial<WorkerOptions> {
  return { lockDuration: config.workerLockMs, stalledInterval: Math.max(1000, Math.floor(config.workerLockMs / 2)), maxStalledCount: 2 };
}

@Processor(QueueName.Analysis)
export class AnalysisProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(AnalysisProcessor.name);

  constructor(
    private readonly detonation: DetonationService,
    private readonly rescores: RescoreService,
    private readonly notifier: NotifierService,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly runMetrics: RunMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.workerConcurrency;
  }

  async process(job: AnalysisJob): Promise<unknown> {
    const name = job.name as JobName.Detonate | JobName.Rescore;
    switch (name) {
      case JobName.Detonate:
        return this.detonate(job);
      case JobName.Rescore: {
        const t0 = Date.now();
        const out = await this.rescores.rescore(job.data.analysisId);
        await this.notifier.analysisRescored(out.analysisId, out.rescoredAt); // verdict.changed and tickets, like a run
        this.logger.log({ msg: 'rescore finished', jobId: job.id, analysisId: job.data.analysisId, verdict: out.verdict, previous: out.previous, durationMs: Date.now() - t0 });
        return out;
      }
      default:
        return assertNever(name);
    }
  }

  private async detonate(job: AnalysisJob): Promise<unknown> {
    const { analysisId } = job.data;
    const t0 = Date.now();
    const attempt = job.attemptsMade + 1;
    this.logger.log({ msg: 'detonation started', jobId: job.id, analysisId, attempt });
    try {
      const out = await this.detonation.run(analysisId);
      await this.notifier.analysisFinished(analysisId); // events + webhooks, if it reached a terminal state
      await this.runMetrics.analysisFinished(analysisId);
      this.logger.log({ msg: 'detonation finished', jobId: job.id, analysisId, outcome: out.outcome, verdict: out.verdict, durationMs: Date.now() - t0 });
      return out;
    } catch (e) {
      const last = e instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1);
      this.logger.error({ msg: 'detonation error', jobId: job.id, analysisId, attempt, last, error: (e as Error).message, durationMs: Date.now() - t0 });
      if (last && !(e instanceof UnrecoverableError)) {
        if (this.detonation.isProbeError(e)) await this.detonation.inconclusive(analysisId, `probe failed to start: ${(e as Error).message}`);
        else await this.detonation.fail(analysisId, (e as Error).message);
      }
      if (last) {
        await this.notifier.analysisFinished(analysisId);
        await this.runMetrics.analysisFinished(analysisId);
      }
      throw e; // BullMQ retries with backoff unless this was the last attempt
    }
  }
}
