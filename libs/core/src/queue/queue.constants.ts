import type { JobsOptions } from 'bullmq';

/** Queue names: one place, never string literals at call sites. */
export enum QueueName {
  Analysis = 'analysis',
  Maintenance = 'maintenance',
}

export enum JobName {
  Detonate = 'detonate',
  Rescore = 'rescore',
  ReapSandboxes = 'reap-sandboxes',
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

/** Every job a producer may enqueue: a discriminated union keyed by job name. */
export type JobItem = DetonateJob | RescoreJob | ReapSandboxesJob;
export type JobOf<N extends JobName> = Extract<JobItem, { name: N }>;
export type JobData<N extends JobName> = JobOf<N>['data'];

export const QUEUE_OF: Record<JobName, QueueName> = {
  [JobName.Detonate]: QueueName.Analysis,
  [JobName.Rescore]: QueueName.Analysis,
  [JobName.ReapSandboxes]: QueueName.Maintenance,
};

/** Attempts, backoff and deduplication for each job kind, set here and nowhere else. */
export function jobOptions<N extends JobName>(name: N, data: JobData<N>, extra: { priority?: number } = {}): JobsOptions {
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
    default:
      return assertNever(name as never);
  }
}

export function assertNever(x: never): never {
  throw new Error(`Unhandled job name: ${String(x)}`);
}
