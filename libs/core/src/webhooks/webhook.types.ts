import type { VulnerabilitySummary } from '#analysis/vulnerabilities/types';
import type { Verdict } from '../storage/analysis.types.js';
import { imageGlobMatch } from '../text/glob.js';

export const WEBHOOK_EVENTS = ['analysis.completed', 'analysis.failed', 'verdict.changed', 'drift.detected'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WEBHOOK_FORMATS = ['generic', 'cloudevents', 'jira', 'servicenow'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
export const TICKET_FORMATS: readonly WebhookFormat[] = ['jira', 'servicenow'];

/** Verdicts ranked for the `minVerdict` filter. */
export const VERDICT_RANK: Record<Verdict, number> = { clean: 0, error: 1, inconclusive: 1, suspicious: 2, malicious: 3 };

export interface WebhookFilter {
  /** Only analyses whose verdict ranks at least this (clean < error = inconclusive < suspicious < malicious). */
  minVerdict?: Verdict;
  /** Glob over the image reference: `*` any run of characters but `/`, `**` anything, `?` one character. */
  image?: string;
}

export interface TicketOptions {
  /** Jira project key (jira format). */
  projectKey?: string;
  /** Jira issue type name; default `Bug`. */
  issueType?: string;
  /** Jira transition id that resolves the issue; default `31`. */
  resolveTransitionId?: string;
  labels?: string[];
  /** Sent as the Authorization header to the ticketing system (stored, never returned). */
  authorization?: string;
}

export interface WebhookSubscription {
  id: string;
  url: string;
  events: WebhookEvent[];
  filter: WebhookFilter;
  format: WebhookFormat;
  /** Signing secrets: the current one, and the previous one while a rotation is in its grace period. */
  secret: string;
  previousSecret?: string | null;
  previousSecretExpiresAt?: string | null;
  ticket?: TicketOptions;
  description?: string;
  enabled: boolean;
  disabledReason?: string | null;
  createdAt: string;
  createdBy: string;
  /** The API key id that created the subscription (absent on older ones). */
  owner?: string;
}

/** What an event says about an analysis; the source of every payload format. */
export interface EventContext {
  event: WebhookEvent;
  occurredAt: string;
  analysis: {
    id: string;
    image: string;
    digest: string | null;
    profile: string;
    status: string;
    verdict: Verdict | null;
    score: number | null;
    findings: { rule: string; priority: string; tags: string[]; count: number }[];
    error: string | null;
    finishedAt: string | null;
  };
  reportUrl: string;
  previousVerdict?: Verdict | null;
  previousAnalysisId?: string | null;
  watchId?: string | null;
  drift?: unknown;
  /** Counts by severity of the vulnerability reports stored for the digest (docs/vulnerability-reports.md); null when none. */
  vulnerabilities?: VulnerabilitySummary | null;
}

export type TicketAction = 'create' | 'resolve';

export interface DeliveryAttempt {
  at: string;
  statusCode: number | null;
  latencyMs: number;
  error?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead';

export interface DeliveryRecord {
  /** Also the `webhook-id` header: stable across retries and redeliveries. */
  id: string;
  webhookId: string;
  event: WebhookEvent;
  analysisId: string;
  status: DeliveryStatus;
  /** For ticket formats: what the call does, and the ticket it belongs to. */
  ticket?: { action: TicketAction; key: string; repository: string } | null;
  method: 'POST' | 'PATCH' | 'PUT';
  contentType: string;
  /** The exact body sent on every attempt (redeliveries send it again). */
  body: string;
  attempts: DeliveryAttempt[];
  createdAt: string;
  /** 0 for the first delivery, +1 at each redelivery. */
  rounds: number;
  deliveredAt?: string | null;
  lastError?: string | null;
}

/** Matches a glob (`*`, `**`, `?`) against a whole string, in time linear in the string (RE2). */
export function globMatch(glob: string, value: string): boolean {
  return imageGlobMatch(glob, value);
}

export function passesFilter(filter: WebhookFilter, image: string, verdict: Verdict | null): boolean {
  if (filter.image && !globMatch(filter.image, image)) return false;
  if (filter.minVerdict && (verdict === null || VERDICT_RANK[verdict] < VERDICT_RANK[filter.minVerdict])) return false;
  return true;
}
