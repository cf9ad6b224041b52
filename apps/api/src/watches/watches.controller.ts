import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { Authorize } from '../auth/policy.js';
import { CreateWatchDto } from './dto/create-watch.dto.js';
import { WatchesService } from './watches.service.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });

@ApiTags('watches')
@ApiBearerAuth()
@Controller('v1/watches')
export class WatchesController {
  constructor(private readonly watches: WatchesService) {}

  @Post()
  @Authorize('watch.create')
  @HttpCode(201)
  @ApiOperation({ summary: 'Watch an image: rescan it on a cron schedule (default nightly 02:00) and compare each run with the previous one' })
  create(@Body() dto: CreateWatchDto, @Req() req: AuthedRequest) {
    return this.watches.create(dto, req.principal!);
  }

  @Get()
  @Authorize('watch.list')
  list() {
    return this.watches.list();
  }

  @Get(':id')
  @Authorize('watch.read')
  @ApiOperation({ summary: 'A watch, its next run and its last runs with their verdicts' })
  get(@Param('id', uuid) id: string) {
    return this.watches.get(id);
  }

  @Delete(':id')
  @Authorize('watch.delete')
  @HttpCode(204)
  async remove(@Param('id', uuid) id: string) {
    await this.watches.remove(id);
  }

  @Post(':id/run')
  @Authorize('watch.run')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rescan now' })
  run(@Param('id', uuid) id: string) {
    return this.watches.run(id);
  }
}
