import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { Authorize } from '../auth/policy.js';
import { QUOTA_RETRY_AFTER_SECONDS } from '#core/storage/quota.repository';
import { AnalysesService } from './analyses.service.js';
import { CreateAnalysisDto } from './dto/create-analysis.dto.js';
import { ListAnalysesDto } from './dto/list-analyses.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });

interface Res {
  setHeader(name: string, value: string): void;
}

@ApiTags('analyses')
@ApiBearerAuth()
@Controller('v1/analyses')
export class AnalysesController {
  constructor(private readonly analyses: AnalysesService) {}

  @Post()
  @Authorize('analysis.create')
  @HttpCode(202)
  @ApiOperation({ summary: 'Submit an image for detonation' })
  async create(@Body() dto: CreateAnalysisDto, @Req() req: AuthedRequest, @Res({ passthrough: true }) res: Res) {
    const rec = await this.analyses.submit(dto, req.principal!).catch((e: unknown) => {
      if (e instanceof DomainException && e.status === 429) res.setHeader('Retry-After', String(QUOTA_RETRY_AFTER_SECONDS));
      throw e;
    });
    res.setHeader('Location', `/v1/analyses/${rec.id}`);
    return rec;
  }

  @Get()
  @Authorize('analysis.list')
  @ApiOperation({ summary: 'List analyses, newest first' })
  list(@Query() q: ListAnalysesDto) {
    return this.analyses.list(q);
  }

  @Get(':id')
  @Authorize('analysis.read')
  get(@Param('id', uuid) id: string) {
    return this.analyses.get(id);
  }

  @Get(':id/events')
  @Authorize('analysis.read')
  @ApiProduces('application/x-ndjson')
  @ApiOperation({ summary: 'Normalized events (v1), one JSON object per line, streamed' })
  async events(@Param('id', uuid) id: string) {
    return new StreamableFile(await this.analyses.events(id), { type: 'application/x-ndjson' });
  }

  @Get(':id/report')
  @Authorize('analysis.read')
  report(@Param('id', uuid) id: string) {
    return this.analyses.report(id);
  }

  @Post(':id/rescore')
  @Authorize('analysis.rescore')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-evaluate the stored events with the current rules, without running the sample again' })
  rescore(@Param('id', uuid) id: string) {
    return this.analyses.rescore(id);
  }

  @Delete(':id')
  @Authorize('analysis.cancel')
  @ApiOperation({ summary: 'Cancel: drop a queued analysis, kill a running one' })
  cancel(@Param('id', uuid) id: string) {
    return this.analyses.cancel(id);
  }
}
