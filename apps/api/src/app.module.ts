import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '#core/config/config';
import { CoreModule } from '#core/nest/core.module';
import { QueueModule } from '#core/nest/queue.module';
import { loadAdmissionConfig } from './admission/admission.config.js';
import { AdmissionModule } from './admission/admission.module.js';
import { AnalysesController } from './analyses/analyses.controller.js';
import { AnalysesService } from './analyses/analyses.service.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { HealthController } from './health/health.controller.js';
import { ProfilesController } from './profiles/profiles.controller.js';
import { RulesController } from './rules/rules.controller.js';
import { WatchesController } from './watches/watches.controller.js';
import { WatchesService } from './watches/watches.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { WebhooksService } from './webhooks/webhooks.service.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, 'api'), QueueModule.forRoot(config, { failFast: true }), AdmissionModule.forRoot(loadAdmissionConfig())],
      controllers: [AnalysesController, ApiKeysController, ProfilesController, RulesController, HealthController, WatchesController, WebhooksController],
      providers: [AnalysesService, WatchesService, WebhooksService, AuthThrottle, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
