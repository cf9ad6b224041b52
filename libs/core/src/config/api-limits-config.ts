import ipaddr from 'ipaddr.js';

/** The REST API's limits against hostile clients (part of AppConfig), validated at boot naming the variable. */
export interface ApiLimitsConfig {
  /** MAX_JSON_DEPTH: deepest array/object nesting a JSON body may have (checked before parsing). */
  maxJsonDepth: number;
  /** REQUEST_TIMEOUT_MS: every request's deadline; past it the answer is 503 with Retry-After. */
  requestTimeoutMs: number;
  /** AUTH_FAILURE_LIMIT / AUTH_FAILURE_WINDOW_SECONDS: failed authentications per client address per window before 429. */
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For to believe for the client address (Express's
   * `trust proxy`): `false` (default: the socket's peer), a hop count, or a comma-separated list of
   * addresses, CIDRs and the names loopback, linklocal, uniquelocal.
   */
  trustProxy: false | number | string[];
}

type Env = Record<string, string | undefined>;
type IntFn = (env: Env, name: string, def: number, min: number, max: number) => number;

export function loadApiLimitsConfig(env: Env, int: IntFn, fail: (variable: string, message: string) => Error): ApiLimitsConfig {
  return {
    maxJsonDepth: int(env, 'MAX_JSON_DEPTH', 32, 2, 256),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 5000, 100, 600_000),
    authFailureLimit: int(env, 'AUTH_FAILURE_LIMIT', 20, 1, 100_000),
    authFailureWindowSeconds: int(env, 'AUTH_FAILURE_WINDOW_SECONDS', 300, 1, 86_400),
    trustProxy: trustProxy(env.TRUST_PROXY, fail),
  };
}

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(raw: string | undefined, fail: (variable: string, message: string) => Error): false | number | string[] {
  const v = raw?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 16) throw fail('TRUST_PROXY', `hop count must be between 1 and 16, got ${n}`);
    return n;
  }
  if (v === 'true') throw fail('TRUST_PROXY', 'must name the proxies (addresses, CIDRs, loopback, linklocal, uniquelocal) or a hop count; "true" would believe any client\'s X-Forwarded-For');
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    if (NAMED.has(entry)) continue;
    const ok = entry.includes('/') ? (() => { try { ipaddr.parseCIDR(entry); return true; } catch { return false; } })() : ipaddr.isValid(entry);
    if (!ok) throw fail('TRUST_PROXY', `entry "${entry.slice(0, 80)}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal`);
  }
  return list;
}
