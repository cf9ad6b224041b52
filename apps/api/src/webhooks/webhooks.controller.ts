import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import type { AuthedRequest } from '../auth/api-key.guard.js';
import { Authorize } from '../auth/policy.js';
import { CreateWebhookDto, RotateSecretDto } from './dto/create-webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });

class DeliveryIdPipe {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^msg_[a-f0-9]{32}$/.test(value)) throw DomainException.validation('deliveryId', 'must be a delivery id (msg_ + 32 hex)');
    return value;
  }
}

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Authorize('webhook.create')
  @HttpCode(201)
  @ApiOperation({ summary: 'Subscribe a URL to events; the signing secret is shown once' })
  create(@Body() dto: CreateWebhookDto, @Req() req: AuthedRequest) {
    return this.webhooks.create(dto, req.principal!);
  }

  @Get()
  @Authorize('webhook.list')
  list() {
    return this.webhooks.list();
  }

  @Get('dead-letters')
  @Authorize('webhook.list')
  @ApiOperation({ summary: 'Deliveries that exhausted their attempts (or were refused), newest first' })
  deadLetters() {
    return this.webhooks.deadLetters();
  }

  @Get(':id')
  @Authorize('webhook.read')
  get(@Param('id', uuid) id: string) {
    return this.webhooks.get(id);
  }

  @Delete(':id')
  @Authorize('webhook.delete')
  @HttpCode(204)
  async remove(@Param('id', uuid) id: string) {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @Authorize('webhook.rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'New signing secret; both signatures are sent during the grace period' })
  rotate(@Param('id', uuid) id: string, @Body() dto: RotateSecretDto) {
    return this.webhooks.rotate(id, dto.secret);
  }

  @Post(':id/test')
  @Authorize('webhook.test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signed test event now and report how the receiver answered (generic and cloudevents formats)' })
  test(@Param('id', uuid) id: string) {
    return this.webhooks.test(id);
  }

  @Post(':id/enable')
  @Authorize('webhook.enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-enable a subscription that a 410 disabled' })
  enable(@Param('id', uuid) id: string) {
    return this.webhooks.enable(id);
  }

  @Get(':id/deliveries')
  @Authorize('webhook.read')
  @ApiOperation({ summary: 'Deliveries with their attempts, status codes and latency, newest first' })
  deliveries(@Param('id', uuid) id: string) {
    return this.webhooks.deliveries(id);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @Authorize('webhook.redeliver')
  @HttpCode(202)
  redeliver(@Param('id', uuid) id: string, @Param('deliveryId', new DeliveryIdPipe()) deliveryId: string) {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
