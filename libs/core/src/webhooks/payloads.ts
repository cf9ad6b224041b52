import { createHash } from 'node:crypto';
import type { Verdict } from '../storage/analysis.types.js';
import type { EventContext, TicketOptions } from './webhook.types.js';

/**
 * Request bodies of each format. generic: the Standard Webhooks shape `{type, timestamp, data}`;
 * cloudevents: a CloudEvents 1.0 structured-mode event; jira: a create-issue body and the
 * transition that resolves it; servicenow: an incident and the update that resolves it.
 */
export function eventData(ctx: EventContext) {
  const a = ctx.analysis;
  return {
    analysisId: a.id,
    image: a.image,
    digest: a.digest,
    profile: a.profile,
    status: a.status,
    verdict: a.verdict,
    score: a.score,
    findings: a.findings.map((f) => ({ rule: f.rule, priority: f.priority, tags: f.tags, count: f.count })),
    error: a.error,
    finishedAt: a.finishedAt,
    reportUrl: ctx.reportUrl,
    ...(ctx.previousVerdict !== undefined ? { previousVerdict: ctx.previousVerdict, previousAnalysisId: ctx.previousAnalysisId ?? null } : {}),
    ...(ctx.watchId ? { watchId: ctx.watchId } : {}),
    ...(ctx.drift !== undefined ? { drift: ctx.drift } : {}),
    ...(ctx.vulnerabilities !== undefined ? { vulnerabilities: ctx.vulnerabilities } : {}),
  };
}

export function genericPayload(ctx: EventContext): string {
  return JSON.stringify({ type: ctx.event, timestamp: ctx.occurredAt, data: eventData(ctx) });
}

export function cloudEventPayload(ctx: EventContext, msgId: string): string {
  return JSON.stringify({
    specversion: '1.0',
    id: msgId,
    source: '/quarantine/analyses',
    type: `io.quarantine.${ctx.event}`,
    subject: ctx.analysis.id,
    time: ctx.occurredAt,
    datacontenttype: 'application/json',
    data: eventData(ctx),
  });
}

const JIRA_PRIORITY: Record<Verdict, string> = { malicious: 'Highest', suspicious: 'High', inconclusive: 'Medium', error: 'Medium', clean: 'Low' };
/** ServiceNow urgency / impact: 1 high, 2 medium, 3 low. */
const SNOW_LEVEL: Record<Verdict, string> = { malicious: '1', suspicious: '2', inconclusive: '3', error: '3', clean: '3' };

/** The image repository a ticket belongs to: the reference without tag or digest. */
export function ticketRepository(image: string): string {
  const at = image.indexOf('@');
  let name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  return name;
}

/** One ticket per image repository and finding set: the set's key (order-insensitive). */
export function findingSetKey(findings: { rule: string }[]): string {
  const rules = [...new Set(findings.map((f) => f.rule))].sort();
  return createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16);
}

function findingLines(ctx: EventContext): string[] {
  return ctx.analysis.findings.map((f) => `- [${f.priority}] ${f.rule} (x${f.count})${f.tags.length ? ` ${f.tags.join(', ')}` : ''}`);
}

function vulnerabilityLines(ctx: EventContext): string[] {
  const v = ctx.vulnerabilities;
  if (!v) return [];
  return ['', 'Vulnerability reports (uploaded):', ...v.reports.map((r) => `- ${r.scanner}: ${Object.entries(r.counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`)];
}

function summary(ctx: EventContext): string {
  const a = ctx.analysis;
  return `Quarantine: ${a.verdict ?? a.status} behaviour in ${ticketRepository(a.image)} (score ${a.score ?? 0})`.slice(0, 254);
}

function description(ctx: EventContext): string {
  const a = ctx.analysis;
  return [
    `Image: ${a.image}`,
    `Digest: ${a.digest ?? 'unknown'}`,
    `Verdict: ${a.verdict ?? 'none'} (score ${a.score ?? 0}), profile ${a.profile}`,
    '',
    'Findings:',
    ...(findingLines(ctx).length ? findingLines(ctx) : ['- none']),
    ...vulnerabilityLines(ctx),
    '',
    `Report: ${ctx.reportUrl}`,
  ].join('\n');
}

export function jiraCreateBody(ctx: EventContext, opts: TicketOptions = {}): string {
  const verdict = ctx.analysis.verdict ?? 'inconclusive';
  return JSON.stringify({
    fields: {
      project: { key: opts.projectKey ?? 'SEC' },
      issuetype: { name: opts.issueType ?? 'Bug' },
      summary: summary(ctx),
      description: description(ctx),
      labels: [...new Set(['quarantine', `verdict-${verdict}`, ...(opts.labels ?? [])])],
      priority: { name: JIRA_PRIORITY[verdict] },
    },
  });
}

export function jiraResolveBody(ctx: EventContext, opts: TicketOptions = {}): string {
  return JSON.stringify({
    transition: { id: opts.resolveTransitionId ?? '31' },
    update: { comment: [{ add: { body: `Resolved by Quarantine: rescan ${ctx.analysis.id} of ${ctx.analysis.image} is ${ctx.analysis.verdict}. ${ctx.reportUrl}` } }] },
  });
}

export function servicenowCreateBody(ctx: EventContext): string {
  const verdict = ctx.analysis.verdict ?? 'inconclusive';
  return JSON.stringify({
    short_description: summary(ctx).slice(0, 160),
    description: description(ctx),
    urgency: SNOW_LEVEL[verdict],
    impact: SNOW_LEVEL[verdict],
    category: 'security',
    correlation_id: `quarantine:${ticketRepository(ctx.analysis.image)}:${findingSetKey(ctx.analysis.findings)}`,
  });
}

/** State 6 = Resolved in ServiceNow's incident table. */
export function servicenowResolveBody(ctx: EventContext): string {
  return JSON.stringify({
    state: '6',
    close_code: 'Resolved by caller',
    close_notes: `Resolved by Quarantine: rescan ${ctx.analysis.id} of ${ctx.analysis.image} is ${ctx.analysis.verdict}. ${ctx.reportUrl}`,
  });
}

/** The ticket's id from the ticketing system's create response (Jira `key`, ServiceNow `result.sys_id`). */
export function ticketRefFromResponse(format: 'jira' | 'servicenow', body: string): string | null {
  try {
    const j = JSON.parse(body) as { key?: unknown; result?: { sys_id?: unknown } };
    const ref = format === 'jira' ? j.key : j.result?.sys_id;
    return typeof ref === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(ref) ? ref : null;
  } catch {
    return null;
  }
}

/** Where the resolve call goes: Jira `…/issue/{key}/transitions` (POST), ServiceNow `…/incident/{sys_id}` (PATCH). */
export function resolveTarget(format: 'jira' | 'servicenow', createUrl: string, ref: string): { url: string; method: 'POST' | 'PATCH' } {
  const base = createUrl.replace(/\/+$/, '');
  return format === 'jira' ? { url: `${base}/${encodeURIComponent(ref)}/transitions`, method: 'POST' } : { url: `${base}/${encodeURIComponent(ref)}`, method: 'PATCH' };
}
