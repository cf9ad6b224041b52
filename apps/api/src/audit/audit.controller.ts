import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import { AuditRepository } from '#core/storage/audit.repository';
import { Authorize } from '../auth/policy.js';
import { QueryAuditDto } from './dto/query-audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @Authorize('audit.read')
  @ApiOperation({ summary: 'The audit log, newest first (admins only)' })
  async list(@Query() q: QueryAuditDto) {
    const sinceMs = q.since === undefined ? undefined : Date.parse(q.since);
    if (sinceMs !== undefined && !Number.isFinite(sinceMs)) throw DomainException.validation('since', 'must be an ISO 8601 date-time');
    return this.audit.query({ sinceMs, action: q.action, actor: q.actor, limit: q.limit ?? 100, cursor: q.cursor });
  }
}
