import { resolve } from 'node:path';
import { type WebhookConfig, loadWebhookConfig } from './webhook-config.js';

/** Typed, validated configuration. Loaded once at boot; an invalid value stops the process naming the variable. */
export interface AppConfig {
  port: number;
  host: string;
  redisUrl: string;
  adminKey?: string;
  artifactDir: string;
  workerConcurrency: number;
  profilesDir: string;
  logFormat: 'json' | 'text';
  maxBodyBytes: number;
  /** Where the sandbox helper binary (SIGSTOP-then-exec wrapper) lives. */
  holdBinary: string;
  straceBinary: string;
  /** Registries images may be pulled from (host[:port]); nothing is pulled from anywhere else. */
  trustedRegistries: string[];
  /** BullMQ job lock: a worker that dies mid-analysis loses its job to another after this long. */
  workerLockMs: number;
  /** Watches (scheduled rescans) and webhook deliveries. */
  webhooks: WebhookConfig;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadConfig(env: Env = process.env, opts: { requireAdminKey?: boolean } = {}): AppConfig {
  const redisUrl = env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  let parsed: URL;
  try {
    parsed = new URL(redisUrl);
  } catch {
    throw new ConfigError('REDIS_URL', `is not a URL: "${redisUrl}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `must use redis:// or rediss://, got "${parsed.protocol}"`);
  }
  const adminKey = env.QUARANTINE_ADMIN_KEY?.trim() || undefined;
  if (opts.requireAdminKey && !adminKey) throw new ConfigError('QUARANTINE_ADMIN_KEY', 'is required (the bootstrap admin API key)');
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError('QUARANTINE_ADMIN_KEY', 'must be at least 16 characters');
  }
  const logFormat = (env.LOG_FORMAT?.trim() || (env.NODE_ENV === 'production' ? 'json' : 'text')) as string;
  if (logFormat !== 'json' && logFormat !== 'text') throw new ConfigError('LOG_FORMAT', `must be "json" or "text", got "${logFormat}"`);
  const root = env.QUARANTINE_ROOT?.trim() || process.cwd();
  return {
    port: int(env, 'PORT', 3000, 1, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    redisUrl,
    adminKey,
    artifactDir: resolve(root, env.ARTIFACT_DIR?.trim() || '.artifacts'),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 2, 1, 64),
    profilesDir: resolve(root, env.PROFILES_DIR?.trim() || 'sandbox-profiles'),
    logFormat,
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    holdBinary: resolve(root, env.QUARANTINE_HOLD_BINARY?.trim() || 'dist/assets/hold'),
    straceBinary: env.STRACE_BINARY?.trim() || 'strace',
    trustedRegistries: registries(env.TRUSTED_REGISTRIES),
    workerLockMs: int(env, 'WORKER_LOCK_MS', 30_000, 1000, 600_000),
    webhooks: loadWebhookConfig(env, int, (v, m) => new ConfigError(v, m)),
  };
}

function registries(raw: string | undefined): string[] {
  if (!raw?.trim()) return [];
  const list = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of list) {
    if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(r)) throw new ConfigError('TRUSTED_REGISTRIES', `entry "${r}" is not a host[:port]`);
  }
  return list;
}
