import { type DynamicModule, Module } from '@nestjs/common';
import type { RulesValidationPoolOptions } from '#analysis/rules/validate-pool';
import { RULES_VALIDATION_OPTIONS, RulesValidationService } from './rules-validation.service.js';

/** Rule validation in worker threads (RulesValidationService), used by RulesController. */
@Module({})
export class RulesModule {
  static forRoot(options: RulesValidationPoolOptions): DynamicModule {
    return {
      module: RulesModule,
      providers: [{ provide: RULES_VALIDATION_OPTIONS, useValue: options }, RulesValidationService],
      exports: [RulesValidationService],
    };
  }
}
