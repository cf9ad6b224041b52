import { Body, Controller, Delete, Get, HttpCode, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { Authorize } from '../auth/policy.js';
import { PutCredentialsDto } from './dto/put-credentials.dto.js';
import { RegistriesService } from './registries.service.js';

@ApiTags('registries')
@ApiBearerAuth()
@Controller('v1/registries')
export class RegistriesController {
  constructor(private readonly registries: RegistriesService) {}

  @Get('credentials')
  @Authorize('registry.list')
  @ApiOperation({ summary: 'Registries with stored credentials: username and a hint, never the secret' })
  list() {
    return this.registries.list();
  }

  @Put(':host/credentials')
  @Authorize('registry.set-credentials')
  @HttpCode(200)
  @ApiOperation({ summary: 'Store (or replace) the credentials of a private registry; stored encrypted, never returned' })
  put(@Param('host') host: string, @Body() dto: PutCredentialsDto, @Req() req: AuthedRequest) {
    return this.registries.put(host, dto, req.principal!);
  }

  @Get(':host/credentials')
  @Authorize('registry.read')
  @ApiOperation({ summary: "A registry's stored credentials: username and a hint, never the secret" })
  get(@Param('host') host: string) {
    return this.registries.get(host);
  }

  @Delete(':host/credentials')
  @Authorize('registry.delete-credentials')
  @HttpCode(204)
  async remove(@Param('host') host: string) {
    await this.registries.remove(host);
  }
}
