import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobProducer } from '#core/queue/job-producer';
import { JobName, QueueName, assertNever } from '#core/queue/queue.constants';
import type { SandboxRuntime } from '#sandbox/sandbox-runtime';
import { SANDBOX_RUNTIME } from '../detonation/sandbox.providers.js';

export const MAINTENANCE_HANDLED: readonly JobName[] = [JobName.ReapSandboxes];

/** Removes sandboxes left past their deadline by a crashed worker; scheduled every minute. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    @Inject(SANDBOX_RUNTIME) private readonly runtime: SandboxRuntime,
    private readonly producer: JobProducer,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.schedule('reap-sandboxes', { everyMs: 60_000 }, { name: JobName.ReapSandboxes, data: {} });
  }

  async process(job: Job): Promise<unknown> {
    const name = job.name as JobName.ReapSandboxes;
    switch (name) {
      case JobName.ReapSandboxes: {
        const removed = await this.runtime.reap({});
        if (removed.length) this.logger.warn({ msg: 'reaped leftover sandboxes', jobId: job.id, count: removed.length, ids: removed });
        return { removed: removed.length };
      }
      default:
        return assertNever(name);
    }
  }
}
