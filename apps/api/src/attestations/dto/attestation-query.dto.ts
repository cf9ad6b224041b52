import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const ATTESTATION_FORMATS = ['envelope', 'statement'] as const;
export const PUBLIC_KEY_FORMATS = ['pem', 'json'] as const;

export class AttestationQueryDto {
  @ApiPropertyOptional({ enum: ATTESTATION_FORMATS, default: 'envelope', description: 'envelope (the signed DSSE envelope, as attached to the image) or statement (its decoded in-toto statement, for reading)' })
  @IsOptional()
  @IsIn(ATTESTATION_FORMATS, { message: `format must be one of: ${ATTESTATION_FORMATS.join(', ')}` })
  format?: (typeof ATTESTATION_FORMATS)[number];
}

export class PublicKeyQueryDto {
  @ApiPropertyOptional({ enum: PUBLIC_KEY_FORMATS, default: 'pem', description: 'pem (the current public key, as cosign.pub) or json (current and previous keys with keyids and validity)' })
  @IsOptional()
  @IsIn(PUBLIC_KEY_FORMATS, { message: `format must be one of: ${PUBLIC_KEY_FORMATS.join(', ')}` })
  format?: (typeof PUBLIC_KEY_FORMATS)[number];
}
