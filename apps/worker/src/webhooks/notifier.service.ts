import { Injectable } from '@nestjs/common';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';

/**
 * The one call the detonation path makes when an analysis may have reached a terminal state:
 * it queues the event fan-out (drift, verdict change, webhook deliveries) on the webhooks queue.
 * Idempotent (one emit job per analysis), so calling it after retries or skips is harmless.
 */
@Injectable()
export class NotifierService {
  constructor(private readonly producer: JobProducer) {}

  async analysisFinished(analysisId: string): Promise<void> {
    await this.producer.enqueue({ name: JobName.EmitEvents, data: { analysisId } });
  }

  /** A rescore changed (or kept) a verdict: verdict.changed and tickets, like a run (one fan-out per rescore). */
  async analysisRescored(analysisId: string, rescoredAt: string): Promise<void> {
    await this.producer.enqueue({ name: JobName.EmitEvents, data: { analysisId, rescoredAt } });
  }
}
