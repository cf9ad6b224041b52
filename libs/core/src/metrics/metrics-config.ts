import { createHash, timingSafeEqual } from 'node:crypto';

type Env = Record<string, string | undefined>;

/** Prometheus metrics (docs/metrics.md). */
export interface MetricsConfig {
  /** METRICS_PORT: the worker's metrics listener (the API serves GET /metrics on its own port); 0 = off. */
  port: number;
  /** METRICS_HOST: where the worker's listener binds (default 127.0.0.1). */
  host: string;
  /** METRICS_TOKEN: when set, scrapes must send `Authorization: Bearer <token>` (API and worker). */
  tokenCheck?: (authorization: string | undefined) => boolean;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function loadMetricsConfig(env: Env, int: (env: Env, name: string, def: number, min: number, max: number) => number, error: (v: string, m: string) => Error): MetricsConfig {
  const token = env.METRICS_TOKEN?.trim();
  if (token !== undefined && token !== '' && (token.length < 16 || !/^[\x21-\x7e]+$/.test(token))) throw error('METRICS_TOKEN', 'must be at least 16 visible ASCII characters');
  const host = env.METRICS_HOST?.trim() || '127.0.0.1';
  // The token is kept as a digest: compared in constant time, never printed with the config.
  const want = token ? digest(token) : undefined;
  return {
    port: int(env, 'METRICS_PORT', 0, 0, 65535),
    host,
    ...(want
      ? { tokenCheck: (authorization: string | undefined) => {
          const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
          return m !== null && timingSafeEqual(digest(m[1]!), want);
        } }
      : {}),
  };
}
