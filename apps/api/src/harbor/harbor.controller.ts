import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { HarborError, HarborExceptionFilter } from './harbor-error.js';
import { HARBOR_MIME } from './harbor-report.js';
import { HarborTokenGuard } from './harbor-token.guard.js';
import { HarborService } from './harbor.service.js';

interface Res {
  status(n: number): Res;
  setHeader(name: string, value: string): void;
  send(body?: string): void;
}

/** Which report media type the Accept header asks for (absent or a wildcard: the newest), or null when it names only others. */
export function reportMediaType(accept: string | undefined): string | null {
  if (!accept || accept.length > 1024) return accept ? null : HARBOR_MIME.reportV11;
  const wanted = accept.split(',').map((p) => p.trim().toLowerCase().replace(/\s*;\s*/g, '; '));
  if (wanted.some((w) => w.startsWith(HARBOR_MIME.reportV11))) return HARBOR_MIME.reportV11;
  if (wanted.some((w) => w.startsWith(HARBOR_MIME.reportV10))) return HARBOR_MIME.reportV10;
  if (wanted.some((w) => w === '*/*' || w.startsWith('*/*;') || w.startsWith('application/*') || w.startsWith('application/json'))) return HARBOR_MIME.reportV11;
  return null;
}

/**
 * Harbor's Scanner Adapter API v1.2 (docs/harbor.md), under its own bearer token instead of API keys
 * (hence @Public for the API-key and policy guards, and HarborTokenGuard here). Errors in the spec's
 * ErrorResponse shape (HarborExceptionFilter).
 */
@ApiExcludeController()
@Public()
@UseGuards(HarborTokenGuard)
@UseFilters(HarborExceptionFilter)
@Controller('api/v1')
export class HarborController {
  constructor(private readonly harbor: HarborService) {}

  @Get('metadata')
  metadata(@Res() res: Res) {
    res.setHeader('Content-Type', HARBOR_MIME.metadata);
    res.status(200).send(JSON.stringify(this.harbor.metadata()));
  }

  @Post('scan')
  @HttpCode(202)
  async scan(@Body() body: unknown, @Res() res: Res) {
    const out = await this.harbor.scan(body);
    res.setHeader('Content-Type', HARBOR_MIME.scanResponse);
    res.status(202).send(JSON.stringify(out));
  }

  @Get('scan/:id/report')
  async report(@Param('id') id: string, @Headers('accept') accept: string | undefined, @Query() query: Record<string, unknown>, @Res() res: Res) {
    if (query.sbom_media_type !== undefined) throw new HarborError(400, 'sbom_media_type: this scanner has no SBOM capability');
    const type = reportMediaType(accept);
    if (!type) throw new HarborError(400, `Accept: this scanner produces ${HARBOR_MIME.reportV11} and ${HARBOR_MIME.reportV10}`);
    const out = await this.harbor.report(id);
    if (out.state === 'running') {
      res.setHeader('Refresh-After', String(out.refreshAfter));
      return res.status(302).send();
    }
    if (out.state === 'failed') throw new HarborError(500, out.message);
    res.setHeader('Content-Type', type);
    res.status(200).send(JSON.stringify(out.report));
  }
}
