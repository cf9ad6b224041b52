import type { JobsOptions } from 'bullmq';

/** Queue names: one place, never string literals at call sites. */
export enum QueueName {
  Analysis = 'analysis',
  Maintenance = 'maintenance',
  Watches = 'watches',
  Webhooks = 'webhooks',
}

export enum JobName {
  Detonate = 'detonate',
  Rescore = 'rescore',
  ReapSandboxes = 'reap-sandboxes',
  /** Retention: deletes analyses older than RETENTION_DAYS (libs/core/src/storage/retention.ts). */
  RetentionSweep = 'retention-sweep',
  /** Stored secrets to the current key; expired rotation secrets dropped (apps/worker/src/maintenance/secrets-migration.service.ts). */
  ReencryptSecrets = 'reencrypt-secrets',
  RescanWatch = 'rescan-watch',
  EmitEvents = 'emit-events',
  DeliverWebhook = 'deliver-webhook',
}

export interface DetonateJob {
  name: JobName.Detonate;
  data: { analysisId: string };
}
export interface RescoreJob {
  name: JobName.Rescore;
  data: { analysisId: string; requestedAt: string };
}
export interface ReapSandboxesJob {
  name: JobName.ReapSandboxes;
  data: Record<string, never>;
}

export interface RetentionSweepJob {
  name: JobName.RetentionSweep;
  data: Record<string, never>;
}

export interface ReencryptSecretsJob {
  name: JobName.ReencryptSecrets;
  data: Record<string, never>;
}

export interface RescanWatchJob {
  name: JobName.RescanWatch;
  /** `requestedAt` is set for a manual run (POST /v1/watches/:id/run); scheduled runs carry none. */
  data: { watchId: string; requestedAt?: string };
}
/** Sent once an analysis reaches a terminal state: drift, verdict change and webhook fan-out. */
export interface EmitEventsJob {
  name: JobName.EmitEvents;
  /** `rescoredAt`: the fan-out of a rescore (verdict.changed, tickets), one per rescore. */
  data: { analysisId: string; rescoredAt?: string };
}
export interface DeliverWebhookJob {
  name: JobName.DeliverWebhook;
  /** `round` is 0 for the first delivery and counts redeliveries. */
  data: { deliveryId: string; round: number };
}

/** Every job a producer may enqueue: a discriminated union keyed by job name. */
export type JobItem = DetonateJob | RescoreJob | ReapSandboxesJob | RetentionSweepJob | ReencryptSecretsJob | RescanWatchJob | EmitEventsJob | DeliverWebhookJob;
export type JobOf<N extends JobName> = Extract<JobItem, { name: N }>;
export type JobData<N extends JobName> = JobOf<N>['data'];

export const QUEUE_OF: Record<JobName, QueueName> = {
  [JobName.Detonate]: QueueName.Analysis,
  [JobName.Rescore]: QueueName.Analysis,
  [JobName.ReapSandboxes]: QueueName.Maintenance,
  [JobName.RetentionSweep]: QueueName.Maintenance,
  [JobName.ReencryptSecrets]: QueueName.Maintenance,
  [JobName.RescanWatch]: QueueName.Watches,
  [JobName.EmitEvents]: QueueName.Webhooks,
  [JobName.DeliverWebhook]: QueueName.Webhooks,
};

/** Attempts, backoff and deduplication for each job kind, set here and nowhere else. */
export function jobOptions<N extends JobName>(name: N, data: JobData<N>, extra: { priority?: number; attempts?: number } = {}): JobsOptions {
  switch (name) {
    case JobName.Detonate:
      return {
        jobId: `detonate-${(data as JobData<JobName.Detonate>).analysisId}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 2000 },
        priority: extra.priority,
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    case JobName.Rescore: {
      const d = data as JobData<JobName.Rescore>;
      return {
        // One rescore per analysis and request time: a double click does not queue two.
        jobId: `rescore-${d.analysisId}-${Date.parse(d.requestedAt)}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    case JobName.ReapSandboxes:
      return { attempts: 1, removeOnComplete: true, removeOnFail: 100 };
    case JobName.RetentionSweep:
    case JobName.ReencryptSecrets:
      // The next scheduled run retries; keep a few finished ones to read their summaries.
      return { attempts: 1, removeOnComplete: 10, removeOnFail: 10 };
    case JobName.RescanWatch: {
      const d = data as JobData<JobName.RescanWatch>;
      return {
        // A manual run per request time; scheduled runs get their id from the job scheduler.
        ...(d.requestedAt ? { jobId: `rescan-${d.watchId}-${Date.parse(d.requestedAt)}` } : {}),
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    case JobName.EmitEvents:
      return {
        jobId: `emit-${(data as JobData<JobName.EmitEvents>).analysisId}${(data as JobData<JobName.EmitEvents>).rescoredAt ? `-rescore-${Date.parse((data as JobData<JobName.EmitEvents>).rescoredAt!)}` : ''}`,
        attempts: 8,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    case JobName.DeliverWebhook: {
      const d = data as JobData<JobName.DeliverWebhook>;
      return {
        jobId: `deliver-${d.deliveryId}-${d.round}`,
        attempts: extra.attempts ?? 17,
        // The worker's backoff strategy: exponential with jitter, Retry-After honoured (libs/core/src/webhooks/backoff.ts).
        backoff: { type: 'webhook' },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    default:
      return assertNever(name as never);
  }
}

export function assertNever(x: never): never {
  throw new Error(`Unhandled job name: ${String(x)}`);
}
