import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { RegistryEventsService } from './registry-events.service.js';

/**
 * `POST /v1/registry-events`: push notifications from Docker Distribution and Harbor. Not an API-key
 * route: registries authenticate with REGISTRY_EVENTS_TOKEN (a static `Authorization: Bearer`
 * header, which both can send) and/or an HMAC of the body (`X-Quarantine-Signature`), checked here.
 */
@ApiTags('registry-events')
@Controller('v1/registry-events')
export class RegistryEventsController {
  constructor(private readonly events: RegistryEventsService) {}

  @Post()
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Registry push notifications (Distribution, Harbor): each newly pushed digest of a trusted registry is analysed once' })
  receive(@Body() body: unknown, @Req() req: Request & { rawBody?: string }, @Headers('authorization') authorization?: string, @Headers('x-quarantine-signature') signature?: string) {
    this.events.authenticate(authorization, signature, req.rawBody);
    return this.events.receive(body);
  }
}
