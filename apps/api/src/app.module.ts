import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { AppConfig } from '#core/config/config';
import { CoreModule } from '#core/nest/core.module';
import { QueueModule } from '#core/nest/queue.module';
import { type AdmissionConfig, loadAdmissionConfig } from '#admission/admission.config';
import type { RulesValidationPoolOptions } from '#analysis/rules/validate-pool';
import { AdmissionModule } from './admission/admission.module.js';
import { RegistriesController } from './registries/registries.controller.js';
import { RegistriesService } from './registries/registries.service.js';
import { RegistryEventsController } from './registry-events/registry-events.controller.js';
import { RegistryEventsService } from './registry-events/registry-events.service.js';
import { AnalysesController } from './analyses/analyses.controller.js';
import { AnalysesService } from './analyses/analyses.service.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { AttestationsController } from './attestations/attestations.controller.js';
import { AttestationsService } from './attestations/attestations.service.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { PolicyGuard } from './auth/policy.guard.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { ConsoleController } from './console/console.controller.js';
import { HardeningModule } from './hardening/hardening.module.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ProfilesController } from './profiles/profiles.controller.js';
import { loadRulesValidationConfig } from './rules/rules.config.js';
import { RulesController } from './rules/rules.controller.js';
import { RulesModule } from './rules/rules.module.js';
import { WatchesController } from './watches/watches.controller.js';
import { WatchesService } from './watches/watches.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { type VulnerabilityReportsConfig, loadVulnerabilityReportsConfig } from './vulnerability-reports/vulnerability-reports.config.js';
import { VulnerabilityReportsModule } from './vulnerability-reports/vulnerability-reports.module.js';
import { type HarborAdapterConfig, loadHarborAdapterConfig } from './harbor/harbor.config.js';
import { HarborModule } from './harbor/harbor.module.js';

/** The API's settings beyond the shared config, loaded from the environment by the entry point (defaults when absent). */
export interface ApiParts {
  admission?: AdmissionConfig;
  rulesValidation?: RulesValidationPoolOptions;
  vulnerabilityReports?: VulnerabilityReportsConfig;
  harbor?: HarborAdapterConfig;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, parts: ApiParts = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, 'api'), QueueModule.forRoot(config, { failFast: true }), AdmissionModule.forRoot(parts.admission ?? loadAdmissionConfig({})), RulesModule.forRoot(parts.rulesValidation ?? loadRulesValidationConfig({})), VulnerabilityReportsModule.forRoot(parts.vulnerabilityReports ?? loadVulnerabilityReportsConfig({})), HarborModule.forRoot(parts.harbor ?? loadHarborAdapterConfig({})), HardeningModule],
      controllers: [AnalysesController, ApiKeysController, ProfilesController, RulesController, HealthController, MetricsController, ConsoleController, WatchesController, WebhooksController, AuditController, AttestationsController, RegistriesController, RegistryEventsController],
      // Authentication (with the failed-auth throttle) first, then the route's policy (roles, ownership).
      providers: [AnalysesService, WatchesService, WebhooksService, AttestationsService, RegistriesService, RegistryEventsService, AuthThrottle, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: APP_GUARD, useClass: PolicyGuard }, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }, { provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
