import { Module } from '@nestjs/common';
import { HardeningController } from './hardening.controller.js';
import { HardeningService } from './hardening.service.js';

/** GET /v1/analyses/:id/seccomp and /networkpolicy (docs/hardening.md); repositories come from the global CoreModule. */
@Module({ controllers: [HardeningController], providers: [HardeningService] })
export class HardeningModule {}
