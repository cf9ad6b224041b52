import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_CREDENTIAL_CHARS } from '#core/image/registry-credentials';

/** `PUT /v1/registries/:host/credentials`: username + password (basic auth, and the token realm), or an identity token. */
export class PutCredentialsDto {
  @ApiPropertyOptional({ description: 'Registry username (with password)', maxLength: MAX_CREDENTIAL_CHARS })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CREDENTIAL_CHARS)
  username?: string;

  @ApiPropertyOptional({ description: 'Password or access token; stored encrypted, never returned', maxLength: MAX_CREDENTIAL_CHARS, writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CREDENTIAL_CHARS)
  password?: string;

  @ApiPropertyOptional({ description: "An OAuth2 refresh token (docker config.json's identitytoken); instead of password", maxLength: MAX_CREDENTIAL_CHARS, writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CREDENTIAL_CHARS)
  identityToken?: string;
}
