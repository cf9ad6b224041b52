import { Processor, WorkerHost } from '@nestjs/bullmq';
import { RunMetrics } from '../run-metrics.service.js';
import { Logger } from '@nestjs/common';
import type { Job, WorkerOptions } from 'bullmq';
import type { AppConfig } from '#core/config/config';
import { JobName, type JobOf, QueueName, assertNever } from '#core/queue/queue.constants';
import { type BackoffPolicy, backoffDelay } from '#core/webhooks/backoff';
import { DeliveryService, RetryableDeliveryError } from './delivery.service.js';
import { EventsService } from './events.service.js';

export const WEBHOOKS_HANDLED: readonly JobName[] = [JobName.EmitEvents, JobName.DeliverWebhook];

type WebhooksJob = Job<JobOf<JobName.EmitEvents | JobName.DeliverWebhook>['data'], unknown, JobName.EmitEvents | JobName.DeliverWebhook>;

/**
 * The webhooks worker's BullMQ options from the validated config: delivery retries back off
 * exponentially with jitter (WEBHOOK_BACKOFF_*), honouring a receiver's sensible Retry-After.
 * WorkerModule.forRoot applies them.
 */
export function webhooksWorkerOptions(config: Pick<AppConfig, 'webhooks'>): Partial<WorkerOptions> {
  const c = config.webhooks;
  const policy: BackoffPolicy = { baseMs: c.backoffBaseMs, maxMs: c.backoffMaxMs, attempts: c.maxAttempts };
  return {
    concurrency: 8,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
        backoffDelay(policy, attemptsMade, Math.random, err instanceof RetryableDeliveryError ? err.retryAfterMs : undefined),
    },
  };
}

/** Event fan-out and webhook deliveries, on their own queue so a slow receiver never delays a detonation. */
@Processor(QueueName.Webhooks)
export class WebhooksProcessor extends WorkerHost {
  private readonly logger = new Logger(WebhooksProcessor.name);

  constructor(
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
    private readonly runMetrics: RunMetrics,
  ) {
    super();
  }

  async process(job: WebhooksJob): Promise<unknown> {
    const name = job.name as JobName.EmitEvents | JobName.DeliverWebhook;
    const t0 = Date.now();
    switch (name) {
      case JobName.EmitEvents: {
        const { analysisId, rescoredAt } = job.data as JobOf<JobName.EmitEvents>['data'];
        const out = await this.events.emit(analysisId, rescoredAt);
        this.logger.log({ msg: 'emit job done', jobId: job.id, analysisId, events: out.events, deliveries: out.deliveries.length, durationMs: Date.now() - t0 });
        return out;
      }
      case JobName.DeliverWebhook: {
        const { deliveryId } = job.data as JobOf<JobName.DeliverWebhook>['data'];
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        try {
          const out = await this.deliveries.attempt(deliveryId, last);
          this.runMetrics.delivery(out.status, (Date.now() - t0) / 1000);
          return out;
        } catch (e) {
          this.runMetrics.delivery(last ? 'dead' : 'retry', (Date.now() - t0) / 1000);
          this.logger.warn({ msg: 'delivery attempt failed', jobId: job.id, deliveryId, attempt: job.attemptsMade + 1, last, error: (e as Error).message, durationMs: Date.now() - t0 });
          throw e;
        }
      }
      default:
        return assertNever(name);
    }
  }
}
