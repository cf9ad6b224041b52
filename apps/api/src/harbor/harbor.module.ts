import { type DynamicModule, Module } from '@nestjs/common';
import { AnalysesService } from '../analyses/analyses.service.js';
import { AuthThrottle } from '../auth/auth-throttle.js';
import { HarborController } from './harbor.controller.js';
import { HARBOR_CONFIG, HarborTokenGuard } from './harbor-token.guard.js';
import type { HarborAdapterConfig } from './harbor.config.js';
import { HarborService } from './harbor.service.js';

/** The Harbor pluggable scanner adapter (docs/harbor.md): /api/v1/metadata, /api/v1/scan, /api/v1/scan/:id/report. */
@Module({})
export class HarborModule {
  static forRoot(config: HarborAdapterConfig): DynamicModule {
    return {
      module: HarborModule,
      controllers: [HarborController],
      providers: [{ provide: HARBOR_CONFIG, useValue: config }, HarborService, HarborTokenGuard, AnalysesService, AuthThrottle],
    };
  }
}
