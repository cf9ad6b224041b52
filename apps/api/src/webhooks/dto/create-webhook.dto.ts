import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { WebhookSecretError, secretKey } from '#core/webhooks/signing';
import { SsrfError, parseWebhookUrl } from '#core/webhooks/ssrf';
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS, type WebhookEvent, type WebhookFormat } from '#core/webhooks/webhook.types';
import { VERDICTS } from '../../analyses/dto/list-analyses.dto.js';

@ValidatorConstraint({ name: 'webhookUrl' })
export class WebhookUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return problem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${problem(args.value)}`;
  }
}

function problem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 2048) return 'must be at most 2048 characters';
  try {
    parseWebhookUrl(value);
    return null;
  } catch (e) {
    return e instanceof SsrfError ? e.message : 'is not a valid URL';
  }
}

@ValidatorConstraint({ name: 'webhookSecret' })
export class WebhookSecretConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return secretProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${secretProblem(args.value)}`;
  }
}

function secretProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  try {
    secretKey(value);
    return null;
  } catch (e) {
    return e instanceof WebhookSecretError ? e.message : 'is not a valid secret';
  }
}

export class WebhookFilterDto {
  @ApiPropertyOptional({ enum: VERDICTS, description: 'Only analyses at least this bad (clean < error = inconclusive < suspicious < malicious)' })
  @IsOptional()
  @IsIn(VERDICTS, { message: `minVerdict must be one of: ${VERDICTS.join(', ')}` })
  minVerdict?: (typeof VERDICTS)[number];

  @ApiPropertyOptional({ example: 'registry.local:5000/team/*', description: 'Glob over the image reference (* within a path segment, ** across, ? one character)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  image?: string;
}

export class TicketOptionsDto {
  @ApiPropertyOptional({ example: 'SEC', description: 'Jira project key' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,19}$/, { message: 'projectKey must be a Jira project key (upper-case letters, digits, _)' })
  projectKey?: string;

  @ApiPropertyOptional({ example: 'Bug' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  issueType?: string;

  @ApiPropertyOptional({ example: '31', description: 'Jira transition id that resolves the issue' })
  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'resolveTransitionId must be a numeric transition id' })
  resolveTransitionId?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { each: true, message: 'labels must be words of letters, digits, _ . - (no spaces)' })
  labels?: string[];

  @ApiPropertyOptional({ description: 'Authorization header sent to the ticketing system (stored, never shown again); printable ASCII' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @Matches(/^[\x20-\x7e]*$/, { message: 'authorization must be printable ASCII: it is sent as an HTTP header, so CR, LF and other control characters can never work' })
  authorization?: string;
}

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/quarantine' })
  @Validate(WebhookUrlConstraint)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray({ message: 'events must be a list' })
  @ArrayNotEmpty({ message: 'events must not be empty' })
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must each be one of: ${WEBHOOK_EVENTS.join(', ')}` })
  events!: WebhookEvent[];

  @ApiPropertyOptional({ type: WebhookFilterDto })
  @IsOptional()
  @IsObject({ message: 'filter must be an object' })
  @ValidateNested()
  @Type(() => WebhookFilterDto)
  filter?: WebhookFilterDto;

  @ApiPropertyOptional({ enum: WEBHOOK_FORMATS, default: 'generic' })
  @IsOptional()
  @IsIn(WEBHOOK_FORMATS, { message: `format must be one of: ${WEBHOOK_FORMATS.join(', ')}` })
  format?: WebhookFormat;

  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Standard Webhooks secret (whsec_ + base64 of 24–64 bytes); generated when omitted, shown once' })
  @IsOptional()
  @Validate(WebhookSecretConstraint)
  secret?: string;

  @ApiPropertyOptional({ type: TicketOptionsDto, description: 'jira / servicenow options' })
  @IsOptional()
  @IsObject({ message: 'ticket must be an object' })
  @ValidateNested()
  @Type(() => TicketOptionsDto)
  ticket?: TicketOptionsDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  description?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'The new secret; generated when omitted' })
  @IsOptional()
  @Validate(WebhookSecretConstraint)
  secret?: string;
}
