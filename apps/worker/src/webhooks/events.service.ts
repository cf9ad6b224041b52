import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Drift, type DriftReportInput, diffBehaviour, snapshotFromReport } from '#analysis';
import type { AppConfig } from '#core/config/config';
import { CONFIG } from '#core/nest/tokens';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord, Verdict } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { VulnerabilityReportRepository } from '#core/storage/vulnerability-report.repository';
import { WatchRepository } from '#core/storage/watch.repository';
import { WebhookRepository } from '#core/storage/webhook.repository';
import {
  cloudEventPayload,
  findingSetKey,
  genericPayload,
  jiraCreateBody,
  jiraResolveBody,
  servicenowCreateBody,
  servicenowResolveBody,
  ticketRepository,
} from '#core/webhooks/payloads';
import { type DeliveryRecord, type EventContext, TICKET_FORMATS, type WebhookEvent, type WebhookSubscription, passesFilter } from '#core/webhooks/webhook.types';

export interface EmitOutcome {
  analysisId: string;
  events: WebhookEvent[];
  deliveries: string[];
  drift: boolean | null;
}

/** Stable delivery id (the `webhook-id`): the same event for the same subscription is one delivery. */
export function deliveryId(...parts: string[]): string {
  return `msg_${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32)}`;
}

/**
 * When an analysis is finished: compares it with the previous run of its watch (drift, stored in
 * the report), works out its events, and creates one signed delivery per matching subscription
 * (ticket formats: at most one create per open ticket, a resolve on a clean rescan).
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  constructor(
    private readonly analyses: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
    private readonly watches: WatchRepository,
    private readonly webhooks: WebhookRepository,
    private readonly producer: JobProducer,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly vulnerabilities: VulnerabilityReportRepository,
  ) {}

  /**
   * `rescoredAt`: the fan-out of a rescore — only verdict.changed (and tickets) when the rescore
   * changed the admission verdict; delivery ids carry the rescore so each is delivered once.
   */
  async emit(analysisId: string, rescoredAt?: string): Promise<EmitOutcome> {
    const rec = await this.analyses.get(analysisId);
    // A supply-chain rejection (unsigned, untrusted source) is reported as analysis.failed, with
    // status `rejected` and the reason in the payload: analysts must hear about it.
    if (!rec || (rec.status !== 'completed' && rec.status !== 'failed' && rec.status !== 'rejected')) return { analysisId, events: [], deliveries: [], drift: null };
    if (rescoredAt) return this.emitRescore(rec, rescoredAt);
    const previous = await this.previousAnalysis(rec);
    let drift: Drift | null = null;
    if (rec.watchId && previous && rec.status === 'completed') drift = await this.drift(rec, previous);

    // verdict.changed follows the admission verdict (docs/run-integrity.md): only analyses that count
    // for admission and hold their digest's admission verdict move it, compared with the image's
    // previous such analysis — a weaker run (another profile, a blinder probe) never does.
    const admissionPrevious = await this.admissionPrevious(rec);
    const events: WebhookEvent[] = [rec.status === 'completed' ? 'analysis.completed' : 'analysis.failed'];
    if (admissionPrevious && admissionPrevious.verdict !== rec.verdict) events.push('verdict.changed');
    if (drift?.changed) events.push('drift.detected');
    const shown = admissionPrevious ? { verdict: admissionPrevious.verdict, id: admissionPrevious.analysisId } : previous ? { verdict: previous.verdict, id: previous.id } : null;
    return this.fanOut(rec, events, shown, drift, []);
  }

  /** A rescore: verdict.changed (and tickets) when it changed the admission verdict. */
  private async emitRescore(rec: AnalysisRecord, rescoredAt: string): Promise<EmitOutcome> {
    const u = rec.admissionUpdate;
    const mine = rec.status === 'completed' && rec.countsForAdmission === true && u?.applied === true && u.at === rescoredAt;
    if (mine) await this.webhooks.refreshLastAdmission(rec.image, { analysisId: rec.id, verdict: rec.verdict });
    const changed = mine && u.previousVerdict !== null && u.previousVerdict !== rec.verdict;
    const events: WebhookEvent[] = changed ? ['verdict.changed'] : [];
    if (!changed) {
      this.logger.log({ msg: 'rescore emitted nothing', analysisId: rec.id, countsForAdmission: rec.countsForAdmission ?? false, applied: u?.applied ?? false });
      return { analysisId: rec.id, events, deliveries: [], drift: null };
    }
    return this.fanOut(rec, events, { verdict: u.previousVerdict, id: u.previousAnalysisId }, null, ['rescore', rescoredAt], rescoredAt);
  }

  private async fanOut(
    rec: AnalysisRecord,
    events: WebhookEvent[],
    previous: { verdict: string | null; id: string | null } | null,
    drift: Drift | null,
    idParts: string[],
    occurredAt?: string,
  ): Promise<EmitOutcome> {
    const analysisId = rec.id;
    const base: Omit<EventContext, 'event'> = {
      occurredAt: occurredAt ?? rec.finishedAt ?? new Date().toISOString(),
      analysis: {
        id: rec.id,
        image: rec.image,
        digest: rec.digest,
        profile: rec.profile,
        status: rec.status,
        verdict: rec.verdict,
        score: rec.score,
        findings: rec.findings.map((f) => ({ rule: f.rule, priority: f.priority, tags: f.tags, count: f.count })),
        error: rec.error,
        finishedAt: rec.finishedAt,
      },
      reportUrl: `${this.config.webhooks.publicUrl}/v1/analyses/${rec.id}/report`,
      ...(previous ? { previousVerdict: previous.verdict as Verdict | null, previousAnalysisId: previous.id } : {}),
      ...(rec.watchId ? { watchId: rec.watchId } : {}),
      ...(drift ? { drift } : {}),
      // Best effort: a payload without the scanners' counts beats no delivery.
      vulnerabilities: await this.vulnerabilities.summary(rec.digest).catch(() => null),
    };

    const deliveries: string[] = [];
    for (const sub of await this.webhooks.list()) {
      if (!sub.enabled) continue;
      // A rescore that changed the verdict moves tickets like a run would (subscribed to either event).
      const matching = events.filter((e) => sub.events.includes(e) || (idParts.length > 0 && TICKET_FORMATS.includes(sub.format) && sub.events.includes('analysis.completed')));
      if (matching.length === 0) continue;
      if (TICKET_FORMATS.includes(sub.format)) deliveries.push(...(await this.ticket(sub, rec, { ...base, event: matching[0] }, idParts)));
      else {
        if (!passesFilter(sub.filter, rec.image, rec.verdict)) continue;
        for (const event of matching) {
          const id = deliveryId(sub.id, rec.id, event, ...idParts);
          const ctx: EventContext = { ...base, event };
          const body = sub.format === 'cloudevents' ? cloudEventPayload(ctx, id) : genericPayload(ctx);
          await this.deliver(sub, { id, event, analysisId: rec.id, body, contentType: sub.format === 'cloudevents' ? 'application/cloudevents+json' : 'application/json', method: 'POST', ticket: null });
          deliveries.push(id);
        }
      }
    }
    this.logger.log({ msg: 'events emitted', analysisId, events, deliveries: deliveries.length, drift: drift?.changed ?? null });
    return { analysisId, events, deliveries, drift: drift ? drift.changed : null };
  }

  /**
   * Ticket formats: findings (suspicious or malicious) open one ticket per image repository and
   * finding set — a rescan with the same findings sends nothing; a clean rescan resolves every
   * open ticket of the repository. The minimum-verdict filter does not hold back a resolve.
   */
  private async ticket(sub: WebhookSubscription, rec: AnalysisRecord, ctx: EventContext, idParts: string[] = []): Promise<string[]> {
    if (sub.filter.image && !passesFilter({ image: sub.filter.image }, rec.image, rec.verdict)) return [];
    const format = sub.format as 'jira' | 'servicenow';
    const repository = ticketRepository(rec.image);
    if (rec.status === 'completed' && (rec.verdict === 'suspicious' || rec.verdict === 'malicious') && rec.findings.length > 0) {
      if (!passesFilter({ minVerdict: sub.filter.minVerdict }, rec.image, rec.verdict)) return [];
      const findingsKey = findingSetKey(rec.findings);
      const id = deliveryId(sub.id, rec.id, 'ticket-create', findingsKey, ...idParts);
      const opened = await this.webhooks.openTicket(sub.id, { repository, findingsKey, ref: null, createDeliveryId: id, openedAt: new Date().toISOString(), analysisId: rec.id });
      if (!opened) {
        // Already open: nothing new — unless this is a retry of the emit that opened it.
        const t = await this.webhooks.getTicket(sub.id, repository, findingsKey);
        if (t?.createDeliveryId !== id) return [];
      }
      const body = format === 'jira' ? jiraCreateBody(ctx, sub.ticket) : servicenowCreateBody(ctx);
      await this.deliver(sub, { id, event: ctx.event, analysisId: rec.id, body, contentType: 'application/json', method: 'POST', ticket: { action: 'create', key: findingsKey, repository } });
      return [id];
    }
    if (rec.status === 'completed' && rec.verdict === 'clean') {
      const out: string[] = [];
      for (const findingsKey of await this.webhooks.claimOpenTickets(sub.id, repository)) {
        const id = deliveryId(sub.id, rec.id, 'ticket-resolve', findingsKey, ...idParts);
        const body = format === 'jira' ? jiraResolveBody(ctx, sub.ticket) : servicenowResolveBody(ctx);
        await this.deliver(sub, { id, event: ctx.event, analysisId: rec.id, body, contentType: 'application/json', method: format === 'jira' ? 'POST' : 'PATCH', ticket: { action: 'resolve', key: findingsKey, repository } });
        out.push(id);
      }
      return out;
    }
    return [];
  }

  private async deliver(sub: WebhookSubscription, d: Pick<DeliveryRecord, 'id' | 'event' | 'analysisId' | 'body' | 'contentType' | 'method' | 'ticket'>): Promise<void> {
    await this.webhooks.createDelivery({ ...d, webhookId: sub.id, status: 'pending', attempts: [], createdAt: new Date().toISOString(), rounds: 0 });
    await this.producer.enqueue({ name: JobName.DeliverWebhook, data: { deliveryId: d.id, round: 0 } }, { attempts: this.config.webhooks.maxAttempts });
  }

  /** The image's previous analysis that counted for admission, when this one counts and holds its digest's admission verdict. */
  private async admissionPrevious(rec: AnalysisRecord): Promise<{ analysisId: string; verdict: string | null } | null> {
    if (rec.status !== 'completed' || rec.countsForAdmission !== true || rec.admissionUpdate?.applied !== true) return null;
    return this.webhooks.exchangeLastAdmission(rec.image, { analysisId: rec.id, verdict: rec.verdict });
  }

  /** The analysis this one is compared with: the watch's previous completed run, or the image's previous completed analysis. */
  private async previousAnalysis(rec: AnalysisRecord): Promise<AnalysisRecord | null> {
    if (rec.watchId) {
      if (rec.status === 'completed') await this.webhooks.exchangeLastCompleted(rec.image, { analysisId: rec.id, verdict: rec.verdict });
      const runs = await this.watches.runs(rec.watchId, 100);
      const at = runs.findIndex((r) => r.analysisId === rec.id);
      for (const run of at >= 0 ? runs.slice(at + 1) : []) {
        const prev = await this.analyses.get(run.analysisId);
        if (prev?.status === 'completed') return prev;
      }
      return null;
    }
    if (rec.status !== 'completed') return null;
    const prev = await this.webhooks.exchangeLastCompleted(rec.image, { analysisId: rec.id, verdict: rec.verdict });
    return prev ? await this.analyses.get(prev.analysisId) : null;
  }

  /** Diff with the previous run, stored in this run's report under `drift`. */
  private async drift(rec: AnalysisRecord, previous: AnalysisRecord): Promise<Drift | null> {
    const [cur, prev] = await Promise.all([
      this.artifacts.readJson<DriftReportInput & Record<string, unknown>>(rec.id, 'report.json'),
      this.artifacts.readJson<DriftReportInput>(previous.id, 'report.json'),
    ]);
    if (!cur || !prev) return null;
    const drift = diffBehaviour(snapshotFromReport(prev), snapshotFromReport(cur));
    await this.artifacts.writeJson(rec.id, 'report.json', { ...cur, drift });
    return drift;
  }
}
