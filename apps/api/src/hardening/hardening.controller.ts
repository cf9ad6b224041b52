import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import { Authorize } from '../auth/policy.js';
import { NetworkPolicyQueryDto, SeccompQueryDto } from './dto/hardening-query.dto.js';
import { HardeningService } from './hardening.service.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });

/** Hardening profiles from a clean run (docs/hardening.md). */
@ApiTags('hardening')
@ApiBearerAuth()
@Controller('v1/analyses')
export class HardeningController {
  constructor(private readonly hardening: HardeningService) {}

  @Get(':id/seccomp')
  @Authorize('analysis.hardening')
  @ApiOperation({ summary: 'A seccomp profile allowing the syscalls the clean run used (Docker/OCI JSON, or ?format=spo)' })
  seccomp(@Param('id', uuid) id: string, @Query() q: SeccompQueryDto) {
    return this.hardening.seccomp(id, q);
  }

  @Get(':id/networkpolicy')
  @Authorize('analysis.hardening')
  @ApiOperation({ summary: 'A NetworkPolicy from the ports the clean run listened on and what it reached (?format=cilium for FQDN rules)' })
  networkPolicy(@Param('id', uuid) id: string, @Query() q: NetworkPolicyQueryDto) {
    return this.hardening.networkPolicy(id, q);
  }
}
