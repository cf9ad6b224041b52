import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, Validate, ValidatorConstraint, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import { cronError, timezoneError } from '#core/watches/schedule';
import { ImageReferenceConstraint } from '../../analyses/dto/create-analysis.dto.js';

@ValidatorConstraint({ name: 'cronPattern' })
export class CronPatternConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return cronError(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${cronError(args.value)}`;
  }
}

@ValidatorConstraint({ name: 'timezone' })
export class TimezoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return timezoneError(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${timezoneError(args.value)}`;
  }
}

export class CreateWatchDto {
  @ApiProperty({ example: 'registry.local:5000/team/app:stable', description: 'Tag (resolved anew at every rescan) or digest reference' })
  @Validate(ImageReferenceConstraint)
  image!: string;

  @ApiPropertyOptional({ example: '0 2 * * *', description: 'Cron pattern (5 fields, or 6 with seconds first); default WATCH_DEFAULT_SCHEDULE (nightly 02:00)' })
  @IsOptional()
  @Validate(CronPatternConstraint)
  schedule?: string;

  @ApiPropertyOptional({ example: 'Europe/Paris', description: 'IANA time zone of the schedule; default UTC' })
  @IsOptional()
  @Validate(TimezoneConstraint)
  timezone?: string;

  @ApiPropertyOptional({ example: 'default', description: 'Sandbox profile of every rescan' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'profile must be a profile name (lower-case letters, digits, dashes)' })
  profile?: string;
}
