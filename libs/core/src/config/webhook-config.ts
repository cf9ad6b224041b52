import { cronError } from '../watches/schedule.js';
import { type AllowList, parseAllowList } from '../webhooks/ssrf.js';

/** Watches and webhooks configuration (part of AppConfig), validated at boot naming the variable. */
export interface WebhookConfig {
  /** WEBHOOK_ALLOW_HOSTS: hosts or CIDRs that pass the SSRF guard although private or loopback. */
  allow: AllowList;
  /** WEBHOOK_TIMEOUT_MS: per-attempt timeout (connect + response). */
  timeoutMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: attempts before a delivery goes to the dead-letter list. */
  maxAttempts: number;
  /** WEBHOOK_BACKOFF_BASE_MS / WEBHOOK_BACKOFF_MAX_MS: exponential backoff, each step capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** WEBHOOK_ROTATION_GRACE_SECONDS: how long the previous secret still signs after a rotation. */
  rotationGraceSeconds: number;
  /** QUARANTINE_PUBLIC_URL: base of the report links in payloads and tickets. */
  publicUrl: string;
  /** WATCH_DEFAULT_SCHEDULE: cron pattern for watches that give none. */
  defaultSchedule: string;
}

type Env = Record<string, string | undefined>;

export function loadWebhookConfig(env: Env, int: (env: Env, name: string, def: number, min: number, max: number) => number, fail: (variable: string, message: string) => Error): WebhookConfig {
  let allow: AllowList;
  try {
    allow = parseAllowList(env.WEBHOOK_ALLOW_HOSTS);
  } catch (e) {
    throw fail('WEBHOOK_ALLOW_HOSTS', (e as Error).message);
  }
  // Set by Kubernetes in every pod: the cluster API, which the SSRF guard always refuses.
  const clusterApi = env.KUBERNETES_SERVICE_HOST?.trim();
  if (clusterApi) allow.clusterApi = clusterApi;
  const publicUrl = (env.QUARANTINE_PUBLIC_URL?.trim() || `http://localhost:${env.PORT?.trim() || '3000'}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw fail('QUARANTINE_PUBLIC_URL', `must be an http(s) URL, got "${publicUrl}"`);
  }
  const defaultSchedule = env.WATCH_DEFAULT_SCHEDULE?.trim() || '0 2 * * *';
  const cronProblem = cronError(defaultSchedule);
  if (cronProblem) throw fail('WATCH_DEFAULT_SCHEDULE', cronProblem);
  return {
    allow,
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    // Defaults: 30 s doubling, each step capped at 12 h, 17 attempts ≈ 3.2 days.
    maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 17, 1, 100),
    backoffBaseMs: int(env, 'WEBHOOK_BACKOFF_BASE_MS', 30_000, 1, 3_600_000),
    backoffMaxMs: int(env, 'WEBHOOK_BACKOFF_MAX_MS', 12 * 3600_000, 1, 7 * 24 * 3600_000),
    rotationGraceSeconds: int(env, 'WEBHOOK_ROTATION_GRACE_SECONDS', 24 * 3600, 0, 30 * 24 * 3600),
    publicUrl,
    defaultSchedule,
  };
}
