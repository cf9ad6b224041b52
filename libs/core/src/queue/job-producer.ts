import type { Job, Queue } from 'bullmq';
import { type JobItem, type JobName, QUEUE_OF, type QueueName, jobOptions } from './queue.constants.js';

/** The only way to enqueue: a valid (name, data) pair, options from `jobOptions`. */
export class JobProducer {
  constructor(private readonly queues: Record<QueueName, Queue>) {}

  async enqueue<J extends JobItem>(job: J, extra: { priority?: number; attempts?: number } = {}): Promise<Job> {
    const queue = this.queues[QUEUE_OF[job.name]];
    return queue.add(job.name, job.data, jobOptions(job.name as JobName, job.data as never, extra));
  }

  /** Periodic work through BullMQ job schedulers: survives restarts, never runs twice across workers. */
  async schedule<J extends JobItem>(schedulerId: string, every: { everyMs: number } | { pattern: string; tz?: string }, job: J): Promise<void> {
    const queue = this.queues[QUEUE_OF[job.name]];
    const repeat = 'everyMs' in every ? { every: every.everyMs } : { pattern: every.pattern, tz: every.tz };
    await queue.upsertJobScheduler(schedulerId, repeat, { name: job.name, data: job.data, opts: jobOptions(job.name as JobName, job.data as never) });
  }

  /** Removes a job scheduler; false if there was none. */
  async unschedule(name: JobName, schedulerId: string): Promise<boolean> {
    return this.queues[QUEUE_OF[name]].removeJobScheduler(schedulerId);
  }

  /** Removes a job that is still waiting; false if it is active (locked), finished or gone. */
  async removeIfWaiting(name: JobName, jobId: string): Promise<boolean> {
    const job = await this.queues[QUEUE_OF[name]].getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed' && state !== 'waiting-children') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }
}
