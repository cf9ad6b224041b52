import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { AppConfig } from '#core/config/config';
import { CONFIG } from '#core/nest/tokens';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { parseRetryAfter } from '#core/webhooks/backoff';
import { sendTo } from '#core/webhooks/http-sender';
import { resolveTarget, ticketRefFromResponse } from '#core/webhooks/payloads';
import { activeSecrets, signatureHeaders } from '#core/webhooks/signing';
import { SsrfError, checkWebhookUrl } from '#core/webhooks/ssrf';
import type { DeliveryRecord, WebhookSubscription } from '#core/webhooks/webhook.types';

/** A failed attempt BullMQ should retry; `retryAfterMs` is the receiver's Retry-After, if any. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

export interface AttemptOutcome {
  deliveryId: string;
  status: 'delivered' | 'failed' | 'skipped';
  statusCode?: number;
}

/**
 * One delivery attempt: re-checks the URL against the SSRF guard (DNS may have changed), signs
 * with every active secret, sends with the configured timeout, records the attempt. 2xx delivers;
 * 410 disables the subscription; 408, 429, 5xx and network errors retry (BullMQ backoff); other
 * 4xx and refused URLs stop at once; the last failed attempt lands in the dead-letter list.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async attempt(deliveryId: string, last: boolean): Promise<AttemptOutcome> {
    const d = await this.webhooks.getDelivery(deliveryId);
    if (!d || d.status === 'delivered') return { deliveryId, status: 'skipped' };
    const sub = await this.webhooks.get(d.webhookId);
    if (!sub || !sub.enabled) {
      await this.webhooks.setDeliveryStatus(deliveryId, 'failed', { lastError: sub ? `subscription disabled: ${sub.disabledReason ?? ''}` : 'subscription deleted' });
      return { deliveryId, status: 'skipped' };
    }
    const at = new Date().toISOString();
    const t0 = Date.now();
    let url = sub.url;
    let method: string = d.method;
    if (d.ticket?.action === 'resolve') {
      const ticket = await this.webhooks.getTicket(sub.id, ticketRepo(d), d.ticket.key);
      if (!ticket?.ref) return this.fail(d, last, at, t0, null, new RetryableDeliveryError('the ticket has no id yet (its create call has not succeeded)'));
      ({ url, method } = resolveTarget(sub.format as 'jira' | 'servicenow', sub.url, ticket.ref));
    }
    let target;
    try {
      target = await checkWebhookUrl(url, this.config.webhooks.allow);
    } catch (e) {
      if (e instanceof SsrfError) return this.fail(d, true, at, t0, null, new UnrecoverableError(`URL refused: ${e.message}`));
      throw e;
    }
    const headers: Record<string, string> = {
      'content-type': d.contentType,
      'user-agent': 'Quarantine-Webhooks/1',
      ...signatureHeaders(activeSecrets(sub), d.id, Math.floor(Date.now() / 1000), d.body),
    };
    if (sub.ticket?.authorization) headers.authorization = sub.ticket.authorization;
    let res;
    try {
      res = await sendTo(target, { method, headers, body: d.body, timeoutMs: this.config.webhooks.timeoutMs });
    } catch (e) {
      return this.fail(d, last, at, t0, null, new RetryableDeliveryError(`request failed: ${(e as Error).message}`));
    }
    await this.webhooks.addAttempt(d.id, { at, statusCode: res.statusCode, latencyMs: res.latencyMs });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (d.ticket?.action === 'create') {
        const ref = ticketRefFromResponse(sub.format as 'jira' | 'servicenow', res.body);
        if (ref) await this.webhooks.setTicketRef(sub.id, ticketRepo(d), d.ticket.key, ref);
        else this.logger.warn({ msg: 'ticket created but its id is not in the response', deliveryId: d.id, webhookId: sub.id });
      }
      if (d.ticket?.action === 'resolve') await this.webhooks.closeTicket(sub.id, ticketRepo(d), d.ticket.key);
      await this.webhooks.setDeliveryStatus(d.id, 'delivered', { deliveredAt: new Date().toISOString(), lastError: null });
      this.logger.log({ msg: 'webhook delivered', deliveryId: d.id, webhookId: sub.id, event: d.event, statusCode: res.statusCode, latencyMs: res.latencyMs });
      return { deliveryId, status: 'delivered', statusCode: res.statusCode };
    }
    if (res.statusCode === 410) {
      await this.webhooks.patch(sub.id, () => ({ enabled: false, disabledReason: `receiver answered 410 Gone at ${at}` }));
      await this.webhooks.setDeliveryStatus(d.id, 'failed', { lastError: 'receiver answered 410 Gone: subscription disabled' });
      this.logger.warn({ msg: 'webhook disabled by 410', webhookId: sub.id, deliveryId: d.id });
      throw new UnrecoverableError('410 Gone: subscription disabled');
    }
    const retryable = res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500;
    const err = retryable
      ? new RetryableDeliveryError(`receiver answered ${res.statusCode}`, parseRetryAfter(headerValue(res.headers['retry-after'])))
      : new UnrecoverableError(`receiver answered ${res.statusCode}`);
    return this.fail(d, last || !retryable, at, t0, res.statusCode, err, true);
  }

  private async fail(d: DeliveryRecord, last: boolean, at: string, t0: number, statusCode: number | null, err: Error, recorded = false): Promise<never> {
    if (!recorded) await this.webhooks.addAttempt(d.id, { at, statusCode, latencyMs: Date.now() - t0, error: err.message });
    if (last) {
      await this.webhooks.setDeliveryStatus(d.id, 'dead', { lastError: err.message });
      this.logger.error({ msg: 'webhook delivery dead-lettered', deliveryId: d.id, webhookId: d.webhookId, error: err.message });
      throw err instanceof UnrecoverableError ? err : new UnrecoverableError(err.message);
    }
    await this.webhooks.updateDelivery(d.id, { status: 'pending', lastError: err.message });
    throw err;
  }
}

function ticketRepo(d: DeliveryRecord): string {
  return d.ticket?.repository ?? '';
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export { activeSecrets };
