import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'rejected'] as const;
export const VERDICTS = ['clean', 'suspicious', 'malicious', 'inconclusive', 'error'] as const;

export class ListAnalysesDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) image?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^sha256:[a-f0-9]{64}$/, { message: 'digest must be sha256:<64 hex>' }) digest?: string;
  @ApiPropertyOptional({ enum: VERDICTS }) @IsOptional() @IsIn(VERDICTS) verdict?: (typeof VERDICTS)[number];
  @ApiPropertyOptional({ enum: STATUSES }) @IsOptional() @IsIn(STATUSES) status?: (typeof STATUSES)[number];
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^\d+:[A-Za-z0-9_-]+$/, { message: 'cursor must be a nextCursor value returned by a previous page' }) cursor?: string;
}
