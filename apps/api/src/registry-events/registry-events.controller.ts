import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { AuthThrottle } from '../auth/auth-throttle.js';
import { RegistryEventsService } from './registry-events.service.js';

/**
 * `POST /v1/registry-events`: push notifications from Docker Distribution and Harbor. Not an API-key
 * route: registries authenticate with REGISTRY_EVENTS_TOKEN (a static `Authorization: Bearer`
 * header, which both can send) and/or an HMAC of the body (`X-Quarantine-Signature`), checked here.
 */
@ApiTags('registry-events')
@Controller('v1/registry-events')
export class RegistryEventsController {
  constructor(
    private readonly events: RegistryEventsService,
    private readonly throttle: AuthThrottle,
  ) {}

  @Post()
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Registry push notifications (Distribution, Harbor): each newly pushed digest of a trusted registry is analysed once' })
  async receive(@Body() body: unknown, @Req() req: Request & { rawBody?: string }, @Headers('authorization') authorization?: string, @Headers('x-quarantine-signature') signature?: string) {
    // The same failed-authentication throttle as API keys (429 + Retry-After after AUTH_FAILURE_LIMIT failures).
    const address = req.ip ?? req.socket?.remoteAddress ?? '';
    await this.throttle.check(address);
    try {
      this.events.authenticate(authorization, signature, req.rawBody);
    } catch (e) {
      if ((e as { status?: number }).status === 401) await this.throttle.failed(address);
      throw e;
    }
    return this.events.receive(body);
  }
}
