import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobProducer } from '#core/queue/job-producer';
import { JobName, QueueName, assertNever } from '#core/queue/queue.constants';
import type { SandboxRuntime } from '#sandbox/sandbox-runtime';
import { KUBERNETES_RUNTIME, SANDBOX_RUNTIME } from '../detonation/sandbox.providers.js';
import { RETENTION_EVERY_MS, RetentionService } from './retention.service.js';
import { SecretsMigrationService } from './secrets-migration.service.js';

export const MAINTENANCE_HANDLED: readonly JobName[] = [JobName.ReapSandboxes, JobName.RetentionSweep, JobName.ReencryptSecrets];

/**
 * Removes sandboxes left past their deadline by a crashed worker, scheduled every minute: Docker
 * containers, and Kubernetes sandbox namespaces (found by label, aged by their deadline annotation).
 */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    @Inject(SANDBOX_RUNTIME) private readonly runtime: SandboxRuntime,
    private readonly producer: JobProducer,
    @Optional() @Inject(KUBERNETES_RUNTIME) private readonly kubernetes: SandboxRuntime | null = null,
    @Optional() @Inject(RetentionService) private readonly retention: RetentionService | null = null,
    @Optional() @Inject(SecretsMigrationService) private readonly secrets: SecretsMigrationService | null = null,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.schedule('reap-sandboxes', { everyMs: 60_000 }, { name: JobName.ReapSandboxes, data: {} });
    await this.producer.schedule('retention-sweep', { everyMs: RETENTION_EVERY_MS }, { name: JobName.RetentionSweep, data: {} });
    // Expired rotation secrets leave Redis (and, through the AOF rewrite, its disk) within hours.
    await this.producer.schedule('reencrypt-secrets', { everyMs: RETENTION_EVERY_MS }, { name: JobName.ReencryptSecrets, data: {} });
  }

  async process(job: Job): Promise<unknown> {
    const name = job.name as JobName.ReapSandboxes | JobName.RetentionSweep | JobName.ReencryptSecrets;
    switch (name) {
      case JobName.ReapSandboxes: {
        // Each runtime on its own: a worker that only runs Kubernetes sandboxes has no Docker engine.
        const [docker, k8s] = await Promise.allSettled([this.runtime.reap({}), this.kubernetes ? this.kubernetes.reap({}) : Promise.resolve([])]);
        const removed = docker.status === 'fulfilled' ? docker.value : [];
        const namespaces = k8s.status === 'fulfilled' ? k8s.value : [];
        if (removed.length) this.logger.warn({ msg: 'reaped leftover sandboxes', jobId: job.id, count: removed.length, ids: removed });
        if (namespaces.length) this.logger.warn({ msg: 'reaped leftover sandbox namespaces', jobId: job.id, count: namespaces.length, namespaces });
        if (k8s.status === 'rejected') throw k8s.reason;
        if (docker.status === 'rejected' && !this.kubernetes) throw docker.reason;
        return { removed: removed.length + namespaces.length };
      }
      case JobName.RetentionSweep:
        if (!this.retention) throw new Error('retention sweep: RetentionService is not provided');
        return this.retention.sweep(job.id);
      case JobName.ReencryptSecrets:
        if (!this.secrets) throw new Error('secret re-encryption: SecretsMigrationService is not provided');
        return this.secrets.run();
      default:
        return assertNever(name);
    }
  }
}
