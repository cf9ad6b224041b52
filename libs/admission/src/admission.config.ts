import { resolve } from 'node:path';
import { ConfigError, envInt as int } from '#core/config/config';

import type { AdmissionMode } from './contract.js';
import { parseDenyStatic } from './static-policy.js';

export { ADMISSION_LABELS, type AdmissionMode } from './contract.js';

/** The admission webhook's settings (environment), validated at boot like the rest of the config. */
export interface AdmissionConfig {
  /** Off unless both TLS files are configured: the API server only talks HTTPS to webhooks. */
  enabled: boolean;
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** How often the cert/key files are checked for changes, ms. */
  tlsReloadMs: number;
  /** Every review is answered within this, ms. */
  budgetMs: number;
  /** When the budget runs out (slow Redis or registry): deny (false, default) or allow with a warning. */
  failOpen: boolean;
  /** Verdicts older than this are stale: re-analysed, and treated like unknown images. */
  maxAgeMs: number;
  /** Mode of namespaces with no `quarantine.io/admission-mode` label. */
  defaultMode: AdmissionMode;
  /** In-process verdict cache entries are trusted this long (pub/sub drops them earlier on a new verdict). */
  verdictTtlMs: number;
  /** Resolved tags are trusted this long. */
  tagTtlMs: number;
  /** Profile of the analyses admission enqueues. */
  profile: string;
  /** Mutate: inject an initContainer that checks the verdicts at pod start. */
  injectInit: boolean;
  initImage: string;
  /** Base URL the initContainer asks (this HTTPS server, as seen from the pods). */
  verdictUrl?: string;
  maxBodyBytes: number;
  /** ADMISSION_REQUIRE_ATTESTATION: a clean verdict admits only with a valid, unexpired signed attestation (docs/attestations.md). */
  requireAttestation: boolean;
  /**
   * ADMISSION_MAX_SEVERITY: deny (enforce) / warn (warn mode) when a stored vulnerability report of the
   * digest lists a vulnerability at or above this severity (docs/vulnerability-reports.md). Off when unset.
   */
  maxSeverity?: AdmissionSeverity;
  /** ADMISSION_REQUIRE_VULNERABILITY_REPORT: a digest with no stored report is not cleared (default false: absence does not deny). */
  requireVulnerabilityReport: boolean;
  /** ADMISSION_DENY_STATIC: static check ids that keep an otherwise clean image from being cleared (static-policy.ts). */
  denyStatic: string[];
}

export const ADMISSION_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type AdmissionSeverity = (typeof ADMISSION_SEVERITIES)[number];

type Env = Record<string, string | undefined>;


function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
function duration(env: Env, name: string, defMs: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return defMs;
  const m = DURATION.exec(raw);
  if (!m) throw new ConfigError(name, `must be a duration like 500ms, 30s, 12h or 7d, got "${raw}"`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const ms = Number(m[1]) * mult;
  if (ms <= 0) throw new ConfigError(name, 'must be positive');
  return ms;
}

export function loadAdmissionConfig(env: Env): AdmissionConfig {
  const root = env.QUARANTINE_ROOT?.trim() || process.cwd();
  const cert = env.ADMISSION_TLS_CERT?.trim() || undefined;
  const key = env.ADMISSION_TLS_KEY?.trim() || undefined;
  if (!!cert !== !!key) throw new ConfigError(cert ? 'ADMISSION_TLS_KEY' : 'ADMISSION_TLS_CERT', 'must be set together with the other TLS file (the webhook needs both)');
  const mode = env.ADMISSION_DEFAULT_MODE?.trim() || 'enforce';
  if (mode !== 'enforce' && mode !== 'warn') throw new ConfigError('ADMISSION_DEFAULT_MODE', `must be "enforce" or "warn", got "${mode}"`);
  const injectInit = bool(env, 'ADMISSION_INJECT_INIT', false);
  const verdictUrl = env.ADMISSION_VERDICT_URL?.trim() || undefined;
  if (verdictUrl) {
    try {
      new URL(verdictUrl);
    } catch {
      throw new ConfigError('ADMISSION_VERDICT_URL', `is not a URL: "${verdictUrl}"`);
    }
  }
  if (injectInit && !verdictUrl) throw new ConfigError('ADMISSION_VERDICT_URL', 'is required when ADMISSION_INJECT_INIT=true (the URL the initContainer asks)');
  const budgetMs = int(env, 'ADMISSION_BUDGET_MS', 200, 10, 10_000);
  const maxSeverity = env.ADMISSION_MAX_SEVERITY?.trim().toLowerCase() || undefined;
  if (maxSeverity !== undefined && !(ADMISSION_SEVERITIES as readonly string[]).includes(maxSeverity)) {
    throw new ConfigError('ADMISSION_MAX_SEVERITY', `must be one of ${ADMISSION_SEVERITIES.join(', ')}, got "${env.ADMISSION_MAX_SEVERITY}"`);
  }
  return {
    enabled: !!cert,
    port: int(env, 'ADMISSION_PORT', 8443, 1, 65535),
    host: env.ADMISSION_HOST?.trim() || env.HOST?.trim() || '0.0.0.0',
    tlsCertFile: cert ? resolve(root, cert) : undefined,
    tlsKeyFile: key ? resolve(root, key) : undefined,
    tlsReloadMs: int(env, 'ADMISSION_TLS_RELOAD_MS', 2000, 100, 600_000),
    budgetMs,
    failOpen: bool(env, 'ADMISSION_FAIL_OPEN', false),
    maxAgeMs: duration(env, 'ADMISSION_MAX_AGE', 7 * 86_400_000),
    defaultMode: mode,
    verdictTtlMs: duration(env, 'ADMISSION_VERDICT_TTL', 30_000),
    tagTtlMs: duration(env, 'ADMISSION_TAG_TTL', 60_000),
    profile: env.ADMISSION_PROFILE?.trim() || 'default',
    injectInit,
    initImage: env.ADMISSION_INIT_IMAGE?.trim() || 'quarantine:latest',
    verdictUrl,
    maxBodyBytes: int(env, 'ADMISSION_MAX_BODY_BYTES', 3 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    requireAttestation: bool(env, 'ADMISSION_REQUIRE_ATTESTATION', false),
    ...(maxSeverity ? { maxSeverity: maxSeverity as AdmissionSeverity } : {}),
    requireVulnerabilityReport: bool(env, 'ADMISSION_REQUIRE_VULNERABILITY_REPORT', false),
    denyStatic: parseDenyStatic(env.ADMISSION_DENY_STATIC),
  };
}
