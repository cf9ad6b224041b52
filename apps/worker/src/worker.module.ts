import { Processor } from '@nestjs/bullmq';
import { RunMetrics } from './run-metrics.service.js';
import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { CoreModule } from '#core/nest/core.module';
import { QueueModule } from '#core/nest/queue.module';
import { JobName, QUEUE_OF, QueueName } from '#core/queue/queue.constants';
import { AdmissionVerdictService } from './detonation/admission-verdict.service.js';
import { AttestationService } from './detonation/attestation.service.js';
import { ANALYSIS_HANDLED, AnalysisProcessor, analysisWorkerOptions } from './detonation/analysis.processor.js';
import { CancellationService } from './detonation/cancellation.service.js';
import { DetonationService } from './detonation/detonation.service.js';
import { RuleSetCache } from './detonation/rule-set.cache.js';
import { RescoreService } from './detonation/rescore.service.js';
import { RunAnalyzer } from './detonation/run-analyzer.js';
import { sandboxProviders } from './detonation/sandbox.providers.js';
import { StaticChecksService } from './detonation/static-checks.service.js';
import { MAINTENANCE_HANDLED, MaintenanceProcessor } from './maintenance/maintenance.processor.js';
import { RetentionService } from './maintenance/retention.service.js';
import { SecretsMigrationService } from './maintenance/secrets-migration.service.js';
import { RescanService } from './watches/rescan.service.js';
import { WATCHES_HANDLED, WatchesProcessor } from './watches/watches.processor.js';
import { DeliveryService } from './webhooks/delivery.service.js';
import { EventsService } from './webhooks/events.service.js';
import { NotifierService } from './webhooks/notifier.service.js';
import { WEBHOOKS_HANDLED, WebhooksProcessor, webhooksWorkerOptions } from './webhooks/webhooks.processor.js';

const HANDLED: Record<QueueName, readonly JobName[]> = {
  [QueueName.Analysis]: ANALYSIS_HANDLED,
  [QueueName.Maintenance]: MAINTENANCE_HANDLED,
  [QueueName.Watches]: WATCHES_HANDLED,
  [QueueName.Webhooks]: WEBHOOKS_HANDLED,
};

/** The worker refuses to boot if a job name has no handler in the queue it is routed to. */
export function assertEveryJobHandled(handled: Partial<Record<QueueName, readonly JobName[]>> = HANDLED): void {
  for (const name of Object.values(JobName)) {
    if (!handled[QUEUE_OF[name]]?.includes(name)) throw new Error(`job "${name}" (queue ${QUEUE_OF[name]}) has no handler in the worker`);
  }
}

/**
 * Worker options that come from configuration are attached here, from the config the worker
 * validated at boot, rather than computed in the @Processor decorators when their files are imported.
 */
export function configureWorkers(config: AppConfig): void {
  Processor(QueueName.Analysis, analysisWorkerOptions(config))(AnalysisProcessor);
  Processor(QueueName.Webhooks, webhooksWorkerOptions(config))(WebhooksProcessor);
}

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    assertEveryJobHandled();
    configureWorkers(config);
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config, 'worker'), QueueModule.forRoot(config)],
      providers: [...sandboxProviders, RunMetrics, AttestationService, AdmissionVerdictService, CancellationService, RuleSetCache, RunAnalyzer, StaticChecksService, DetonationService, RescoreService, AnalysisProcessor, MaintenanceProcessor,
        NotifierService, RescanService, WatchesProcessor, EventsService, DeliveryService, WebhooksProcessor, SecretsMigrationService, RetentionService],
    };
  }
}
