import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { Authorize } from '../auth/policy.js';
import { QUOTA_RETRY_AFTER_SECONDS } from '#core/storage/quota.repository';
import { AnalysesService } from './analyses.service.js';
import { CreateAnalysisDto } from './dto/create-analysis.dto.js';
import { ListAnalysesDto } from './dto/list-analyses.dto.js';
import { ReportQueryDto } from './dto/report-query.dto.js';

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
    return this.analyses.read(id);
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
  @ApiProduces('application/json', 'text/html', 'application/sarif+json')
  @ApiOperation({ summary: 'The report: JSON (default), one self-contained HTML page, or SARIF 2.1.0' })
  async report(@Param('id', uuid) id: string, @Query() q: ReportQueryDto, @Res({ passthrough: true }) res: Res) {
    const format = q.format ?? 'json';
    const body = await this.analyses.report(id, format);
    if (format === 'html') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      // The page carries sample-controlled text: no script, no external anything, not framable.
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      res.setHeader('X-Content-Type-Options', 'nosniff');
    } else if (format === 'sarif') res.setHeader('Content-Type', 'application/sarif+json; charset=utf-8');
    return body;
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
