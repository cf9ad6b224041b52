import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsISO8601, IsIn, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { POLICY } from '../../auth/policy.js';

/** Actions the log records: the audited POLICY rows, plus what admission writes. */
export const AUDIT_ACTIONS = [...Object.entries(POLICY).filter(([, r]) => (r as { audited?: boolean }).audited).map(([a]) => a), 'admission.override'] as const;

export class QueryAuditDto {
  @ApiPropertyOptional({ description: 'Only entries at or after this ISO 8601 time', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @MaxLength(40)
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: string;

  @ApiPropertyOptional({ description: 'Actor: an API key id (or bootstrap-admin, or a Kubernetes user for admission entries)' })
  @IsOptional()
  @MaxLength(256)
  @Matches(/^[A-Za-z0-9:@._-]+$/, { message: 'actor must be a key id (letters, digits, : @ . _ -)' })
  actor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,16}-\d{1,16}$/, { message: 'cursor must be a nextCursor value returned by a previous page' })
  cursor?: string;
}
