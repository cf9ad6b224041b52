import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import { ApiKeyRepository } from '#core/storage/api-key.repository';
import { Authorize } from '../auth/policy.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyRepository) {}

  /** The key is shown once, here; only its hash is stored. */
  @Post()
  @Authorize('api-key.create')
  @HttpCode(201)
  async create(@Body() dto: CreateApiKeyDto) {
    const { key, record } = await this.keys.issue(dto.name, dto.role);
    return { ...record, key };
  }

  @Get()
  @Authorize('api-key.list')
  async list() {
    return { items: await this.keys.list() };
  }

  @Delete(':id')
  @Authorize('api-key.revoke')
  @HttpCode(204)
  async revoke(@Param('id', new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') })) id: string) {
    if (!(await this.keys.revoke(id))) throw DomainException.notFound('api key', id);
  }
}
