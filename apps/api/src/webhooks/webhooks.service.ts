import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { CONFIG } from '#core/nest/tokens';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import type { Principal } from '#core/storage/api-key.repository';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { secretsAvailable } from '../common/secrets-available.js';
import { sendTo } from '#core/webhooks/http-sender';
import { SECRET_PREFIX, activeSecrets, generateSecret, signatureHeaders } from '#core/webhooks/signing';
import { SsrfError, checkWebhookUrl } from '#core/webhooks/ssrf';
import type { DeliveryRecord, WebhookSubscription } from '#core/webhooks/webhook.types';
import type { CreateWebhookDto } from './dto/create-webhook.dto.js';

@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly producer: JobProducer,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** The secret is returned here and at rotation only. */
  async create(dto: CreateWebhookDto, by: Principal) {
    await this.checkUrl(dto.url);
    const { authorization, ...ticketRest } = dto.ticket ?? {};
    const sub: WebhookSubscription = {
      id: randomUUID(),
      url: dto.url,
      events: [...new Set(dto.events)],
      filter: { ...(dto.filter?.minVerdict ? { minVerdict: dto.filter.minVerdict } : {}), ...(dto.filter?.image ? { image: dto.filter.image } : {}) },
      format: dto.format ?? 'generic',
      secret: dto.secret ?? generateSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      ...(dto.ticket ? { ticket: { ...ticketRest, ...(authorization ? { authorization } : {}) } } : {}),
      ...(dto.description ? { description: dto.description } : {}),
      enabled: true,
      disabledReason: null,
      createdAt: new Date().toISOString(),
      createdBy: by.name,
      owner: by.keyId,
    };
    await secretsAvailable(this.webhooks.create(sub));
    this.logger.log({ msg: 'webhook created', webhookId: sub.id, url: sub.url, events: sub.events, format: sub.format, by: by.name });
    return { ...view(sub), secret: sub.secret };
  }

  async list() {
    return { items: (await secretsAvailable(this.webhooks.list())).map(view) };
  }

  async get(id: string) {
    return view(await this.load(id));
  }

  async remove(id: string): Promise<void> {
    if (!(await this.webhooks.remove(id))) throw DomainException.notFound('webhook', id);
    this.logger.log({ msg: 'webhook deleted', webhookId: id });
  }

  /** New secret; the previous one keeps signing (a second signature) for WEBHOOK_ROTATION_GRACE_SECONDS. */
  async rotate(id: string, secret?: string) {
    await this.load(id);
    const next = secret ?? generateSecret();
    const expires = new Date(Date.now() + this.config.webhooks.rotationGraceSeconds * 1000).toISOString();
    const sub = await secretsAvailable(this.webhooks.patch(id, (s) => ({ secret: next, previousSecret: s.secret, previousSecretExpiresAt: expires })));
    if (!sub) throw DomainException.notFound('webhook', id);
    this.logger.log({ msg: 'webhook secret rotated', webhookId: id, previousSecretExpiresAt: expires });
    return { ...view(sub), secret: next };
  }

  /** Re-enables a subscription a 410 disabled (after checking its URL again). */
  async enable(id: string) {
    const sub = await this.load(id);
    await this.checkUrl(sub.url);
    return view((await secretsAvailable(this.webhooks.patch(id, () => ({ enabled: true, disabledReason: null }))))!);
  }

  async deliveries(id: string, limit = 50) {
    await this.load(id);
    return { items: (await this.webhooks.deliveries(id, limit)).map(deliveryView) };
  }

  async deadLetters() {
    const items: ReturnType<typeof deliveryView>[] = [];
    for (const id of await this.webhooks.deadLetters()) {
      const d = await this.webhooks.getDelivery(id);
      if (d) items.push(deliveryView(d));
    }
    return { items };
  }

  /** Sends a delivery again with the same body and the same webhook-id (receivers deduplicate on it). */
  async redeliver(id: string, deliveryId: string) {
    const sub = await this.load(id);
    const d = await this.webhooks.getDelivery(deliveryId);
    if (!d || d.webhookId !== id) throw DomainException.notFound('delivery', deliveryId);
    if (!sub.enabled) throw new DomainException(ErrorCode.Conflict, 409, `webhook ${id} is disabled (${sub.disabledReason ?? 'no reason'}); enable it first`);
    if (d.status === 'pending') throw new DomainException(ErrorCode.Conflict, 409, `delivery ${deliveryId} is still being attempted`);
    const round = (d.rounds ?? 0) + 1;
    await this.webhooks.updateDelivery(deliveryId, { rounds: round });
    await this.webhooks.setDeliveryStatus(deliveryId, 'pending', { lastError: null, deliveredAt: null });
    await this.producer.enqueue({ name: JobName.DeliverWebhook, data: { deliveryId, round } }, { attempts: this.config.webhooks.maxAttempts });
    this.logger.log({ msg: 'redelivery queued', webhookId: id, deliveryId, round });
    return { deliveryId, status: 'pending' as const, round };
  }

  /**
   * A signed `webhook.test` event sent now (not queued, no retry), through the same SSRF guard and
   * signing as real deliveries; the answer says how the receiver responded. Ticket formats are
   * refused: their endpoint would open a real ticket.
   */
  async test(id: string): Promise<{ delivered: boolean; statusCode: number | null; latencyMs: number; error?: string }> {
    const sub = await this.load(id);
    if (sub.format === 'jira' || sub.format === 'servicenow') {
      throw DomainException.validation('format', `a test delivery would open a real ${sub.format} ticket; test generic or cloudevents webhooks`);
    }
    const msgId = `msg_test_${randomUUID().replace(/-/g, '')}`;
    const body = JSON.stringify({ type: 'webhook.test', id: msgId, timestamp: new Date().toISOString(), data: { webhookId: sub.id, message: 'Quarantine test delivery' } });
    const t0 = Date.now();
    try {
      const target = await checkWebhookUrl(sub.url, this.config.webhooks.allow);
      const headers = { 'content-type': 'application/json', 'user-agent': 'Quarantine-Webhooks/1', ...signatureHeaders(activeSecrets(sub), msgId, Math.floor(Date.now() / 1000), body) };
      // Within the request's own deadline.
      const res = await sendTo(target, { method: 'POST', headers, body, timeoutMs: Math.max(500, Math.min(this.config.webhooks.timeoutMs, this.config.apiLimits.requestTimeoutMs - 1000)) });
      const delivered = res.statusCode >= 200 && res.statusCode < 300;
      return { delivered, statusCode: res.statusCode, latencyMs: res.latencyMs, ...(delivered ? {} : { error: `receiver answered ${res.statusCode}` }) };
    } catch (e) {
      return { delivered: false, statusCode: null, latencyMs: Date.now() - t0, error: e instanceof SsrfError ? `URL refused: ${e.message}` : `request failed: ${(e as Error).message}` };
    }
  }

  private async load(id: string): Promise<WebhookSubscription> {
    const sub = await secretsAvailable(this.webhooks.get(id));
    if (!sub) throw DomainException.notFound('webhook', id);
    return sub;
  }

  /** SSRF guard at registration: the URL's addresses must be public or allowed by WEBHOOK_ALLOW_HOSTS. */
  private async checkUrl(url: string): Promise<void> {
    try {
      await checkWebhookUrl(url, this.config.webhooks.allow);
    } catch (e) {
      if (e instanceof SsrfError) throw DomainException.validation('url', e.message);
      throw e;
    }
  }
}


/** A subscription as shown: never its secrets or the ticketing system's credentials (`secretPrefix` is the `whsec_` scheme only). */
function view(s: WebhookSubscription) {
  const { secret, previousSecret, ticket, ...rest } = s;
  const { authorization, ...ticketRest } = ticket ?? {};
  return {
    ...rest,
    ...(ticket ? { ticket: { ...ticketRest, authorization: authorization ? '(set)' : undefined } } : {}),
    secretPrefix: secret.startsWith(SECRET_PREFIX) ? SECRET_PREFIX : '',
    rotating: Boolean(previousSecret && s.previousSecretExpiresAt && Date.parse(s.previousSecretExpiresAt) > Date.now()),
  };
}

function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    event: d.event,
    analysisId: d.analysisId,
    status: d.status,
    ticket: d.ticket ?? null,
    method: d.method,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt ?? null,
    lastError: d.lastError ?? null,
    rounds: d.rounds ?? 0,
    attempts: d.attempts,
    body: d.body,
  };
}
