import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, Validate, ValidatorConstraint, type ValidatorConstraintInterface, type ValidationArguments } from 'class-validator';
import { ImageRefError, parseImageRef } from '#core/image/image-ref';
import { PROBES, type ProbeName } from '#core/profiles/probes';

@ValidatorConstraint({ name: 'imageReference' })
export class ImageReferenceConstraint implements ValidatorConstraintInterface {
  private lastError = '';
  validate(value: unknown): boolean {
    try {
      parseImageRef(value);
      return true;
    } catch (e) {
      this.lastError = e instanceof ImageRefError ? e.message : 'is not a valid image reference';
      return false;
    }
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${this.lastError || 'is not a valid image reference'} (expected name[:tag][@sha256:digest])`;
  }
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

@ValidatorConstraint({ name: 'labels' })
export class LabelsConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return entries.length <= 32 && entries.every(([k, v]) => LABEL_KEY.test(k) && typeof v === 'string' && v.length <= 256);
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of at most 32 string values (keys: letters, digits, . _ / -, ≤ 63 chars; values ≤ 256 chars)`;
  }
}

export class CreateAnalysisDto {
  @ApiProperty({ example: 'quarantine-samples/hello:latest', description: 'Image reference name[:tag][@sha256:digest]' })
  @Validate(ImageReferenceConstraint)
  image!: string;

  @ApiPropertyOptional({ example: 'default', description: 'Sandbox profile name (GET /v1/profiles)' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'profile must be a profile name (lower-case letters, digits, dashes)' })
  profile?: string;

  @ApiPropertyOptional({ enum: PROBES, description: "Overrides the profile's probe (the runtime follows the probe)" })
  @IsOptional()
  @IsIn(PROBES as ProbeName[], { message: `probe must be one of: ${PROBES.join(', ')}` })
  probe?: ProbeName;

  @ApiPropertyOptional({ example: { ticket: 'SEC-42' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @Validate(LabelsConstraint)
  labels?: Record<string, string>;

  @ApiPropertyOptional({ format: 'uuid', description: 'Run under the seccomp profile generated from this clean analysis (GET /v1/analyses/:id/seccomp), to check it before deploying it; needs probe strace or ebpf (runc). Never counts for admission.' })
  @IsOptional()
  @IsUUID('all', { message: 'seccompFrom must be an analysis id (UUID)' })
  seccompFrom?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 5, description: '1 runs first, 10 last' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  priority?: number;
}
