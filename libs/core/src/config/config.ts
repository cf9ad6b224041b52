import { resolve } from 'node:path';
import { type OwnershipConfig, loadOwnershipConfig } from './ownership-config.js';
import { KeyMaterial, parseKey } from '../secrets/secret-box.js';
import { type ApiLimitsConfig, loadApiLimitsConfig } from './api-limits-config.js';
import { type MetricsConfig, loadMetricsConfig } from '../metrics/metrics-config.js';
import { type WebhookConfig, loadWebhookConfig } from './webhook-config.js';
import { type AttestationConfig, loadAttestationConfig } from '../attestations/attestation-config.js';
import { type RegistryConfig, loadRegistryConfig } from './registry-config.js';

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
  /** EBPF_ENGINE: the eBPF probe's engine, `libbpf` (default) or `bpftrace`. */
  ebpfEngine: 'libbpf' | 'bpftrace';
  /** EBPF_PRELOAD (`on` default, `off`): load the libbpf tracer while the sandbox is created (docs/probes.md). */
  ebpfPreload: boolean;
  /** FALCO_EVENTS_FILE / TRACEE_EVENTS_FILE: the host sensor's JSON event file the falco / tracee probe reads (Docker runtime). */
  falcoEventsFile?: string;
  traceeEventsFile?: string;
  /** Registries images may be pulled from (host[:port]); nothing is pulled from anywhere else. */
  trustedRegistries: string[];
  /** BullMQ job lock: a worker that dies mid-analysis loses its job to another after this long. */
  workerLockMs: number;
  /** Watches (scheduled rescans) and webhook deliveries. */
  webhooks: WebhookConfig;
  /** The Kubernetes runtime (profiles with `runtime: kubernetes`); see kubernetesConfig(). */
  kubernetes: KubernetesConfig;
  /**
   * ADMISSION_PROFILES: the profiles whose analyses (with the probe the profile prescribes) make
   * the verdict admission uses and `verdict.changed` follows; others are recorded but never
   * replace it. Default: ADMISSION_PROFILE (the profile admission submits with), else `default`.
   */
  admissionProfiles: string[];
  /** Watch interval floor, per-key quotas, audit retention (ownership-config.ts). */
  ownership: OwnershipConfig;
  /**
   * QUARANTINE_SECRET_KEY: the AES-256-GCM key (32 bytes, hex or base64) that encrypts stored
   * secrets; null when unset (secrets are then refused, never stored in plain text).
   * QUARANTINE_PREVIOUS_SECRET_KEYS: comma-separated keys still accepted for decryption (rotation).
   */
  secretKey: KeyMaterial | null;
  previousSecretKeys: KeyMaterial[];
  /** RETENTION_DAYS: analyses older than this are deleted by the cleanup job (docs/security.md). */
  retentionDays: number;
  /** The REST API's limits against hostile clients: JSON depth, request deadline, failed-auth throttle, trusted proxies. */
  apiLimits: ApiLimitsConfig;
  /** Prometheus metrics: the worker's listener, the scrape token (docs/metrics.md). */
  metrics: MetricsConfig;
  /** Signed verdict attestations: ATTESTATION_KEY, previous public keys, attaching (docs/attestations.md). */
  attestation: AttestationConfig;
  /** Private registry credentials and registry push triggers (registry-config.ts, docs/registries.md). */
  registries: RegistryConfig;
}

export interface KubernetesConfig {
  /** K8S_RUNTIME=on: build the Kubernetes runtime (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster). */
  enabled: boolean;
  /** K8S_PROBE_IMAGE: strace + sh + the hold wrapper (deploy/probe-image). */
  probeImage: string;
  /** K8S_NETSIM_IMAGE: the network simulator (python3 + netsim.py and its assets; deploy/netsim-image), for `network: simulated`. */
  netsimImage: string;
  /** K8S_WORKER_NAMESPACE / K8S_WORKER_SERVICE_ACCOUNT: bound inside each sandbox namespace. */
  workerNamespace: string;
  workerServiceAccount: string;
  /** K8S_FALCO_PODS / K8S_TRACEE_PODS: `<namespace>:<label selector>[:<container>]` of the sensor DaemonSet. */
  falcoPods?: { namespace: string; labelSelector: string; container: string };
  traceePods?: { namespace: string; labelSelector: string; container: string };
  /** K8S_START_ALLOWANCE_SECONDS: scheduling + image pull + probe start before the window. */
  startAllowanceSeconds: number;
  /** K8S_PLAIN_HTTP_REGISTRIES: trusted registries read over plain HTTP (loopback ones always are). */
  plainHttpRegistries: string[];
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

/** An integer variable in [min, max], `def` when unset or empty; a ConfigError naming it otherwise. */
export function envInt(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
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
  const ebpfEngine = env.EBPF_ENGINE?.trim() || 'libbpf';
  if (ebpfEngine !== 'libbpf' && ebpfEngine !== 'bpftrace') throw new ConfigError('EBPF_ENGINE', `must be "libbpf" or "bpftrace", got "${ebpfEngine}"`);
  const ebpfPreload = env.EBPF_PRELOAD?.trim() || 'on';
  if (ebpfPreload !== 'on' && ebpfPreload !== 'off') throw new ConfigError('EBPF_PRELOAD', `must be "on" or "off", got "${ebpfPreload}"`);
  const root = env.QUARANTINE_ROOT?.trim() || process.cwd();
  return {
    port: envInt(env, 'PORT', 3000, 1, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    redisUrl,
    adminKey,
    artifactDir: resolve(root, env.ARTIFACT_DIR?.trim() || '.artifacts'),
    workerConcurrency: envInt(env, 'WORKER_CONCURRENCY', 2, 1, 64),
    profilesDir: resolve(root, env.PROFILES_DIR?.trim() || 'sandbox-profiles'),
    logFormat,
    maxBodyBytes: envInt(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    holdBinary: resolve(root, env.QUARANTINE_HOLD_BINARY?.trim() || 'dist/assets/hold'),
    straceBinary: env.STRACE_BINARY?.trim() || 'strace',
    ebpfEngine,
    ebpfPreload: ebpfPreload === 'on',
    falcoEventsFile: env.FALCO_EVENTS_FILE?.trim() || undefined,
    traceeEventsFile: env.TRACEE_EVENTS_FILE?.trim() || undefined,
    trustedRegistries: registries(env.TRUSTED_REGISTRIES),
    workerLockMs: envInt(env, 'WORKER_LOCK_MS', 30_000, 1000, 600_000),
    webhooks: loadWebhookConfig(env, envInt, (v, m) => new ConfigError(v, m)),
    kubernetes: kubernetesConfig(env),
    admissionProfiles: admissionProfiles(env),
    ownership: loadOwnershipConfig(env, envInt),
    ...secretKeys(env),
    retentionDays: envInt(env, 'RETENTION_DAYS', 90, 1, 36_500),
    apiLimits: loadApiLimitsConfig(env, envInt, (v, m) => new ConfigError(v, m)),
    metrics: loadMetricsConfig(env, envInt, (v, m) => new ConfigError(v, m)),
    attestation: loadAttestationConfig(env, (v, m) => new ConfigError(v, m)),
    registries: loadRegistryConfig(env, envInt, (v, m) => new ConfigError(v, m), root),
  };
}

function secretKeys(env: Env): { secretKey: KeyMaterial | null; previousSecretKeys: KeyMaterial[] } {
  const shape = 'must be 32 bytes written as 64 hex characters or as base64 (e.g. `openssl rand -base64 32`)';
  const raw = env.QUARANTINE_SECRET_KEY?.trim();
  const parsed = raw ? parseKey(raw) : null;
  if (raw && !parsed) throw new ConfigError('QUARANTINE_SECRET_KEY', shape);
  const secretKey = parsed ? new KeyMaterial(parsed) : null;
  const previousSecretKeys = (env.QUARANTINE_PREVIOUS_SECRET_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean).map((k, i) => {
    const key = parseKey(k);
    if (!key) throw new ConfigError('QUARANTINE_PREVIOUS_SECRET_KEYS', `entry ${i + 1} ${shape}`);
    return new KeyMaterial(key);
  });
  if (previousSecretKeys.length > 0 && !secretKey) throw new ConfigError('QUARANTINE_SECRET_KEY', 'is required when QUARANTINE_PREVIOUS_SECRET_KEYS is set (the key new writes use)');
  return { secretKey, previousSecretKeys };
}

function admissionProfiles(env: Env): string[] {
  const raw = env.ADMISSION_PROFILES?.trim() || env.ADMISSION_PROFILE?.trim() || 'default';
  const list = [...new Set(raw.split(',').map((p) => p.trim()).filter(Boolean))];
  if (list.length === 0) throw new ConfigError('ADMISSION_PROFILES', `must list at least one profile name, got "${env.ADMISSION_PROFILES}"`);
  if (list.length > 32) throw new ConfigError('ADMISSION_PROFILES', `lists ${list.length} profiles; at most 32`);
  for (const p of list) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(p)) throw new ConfigError('ADMISSION_PROFILES', `entry "${p.slice(0, 80)}" is not a profile name (lower-case letters, digits and dashes)`);
  }
  // Admission queues its own analyses under ADMISSION_PROFILE: they must be able to make its verdict.
  const submits = env.ADMISSION_PROFILE?.trim() || 'default';
  if (!list.includes(submits)) throw new ConfigError('ADMISSION_PROFILES', `must include ADMISSION_PROFILE "${submits.slice(0, 80)}" (the profile admission queues its analyses with), got "${list.join(',')}"`);
  return list;
}

function kubernetesConfig(env: Env): KubernetesConfig {
  const flag = (env.K8S_RUNTIME?.trim() || 'off').toLowerCase();
  if (flag !== 'on' && flag !== 'off') throw new ConfigError('K8S_RUNTIME', `must be "on" or "off", got "${env.K8S_RUNTIME}"`);
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const workerNamespace = env.K8S_WORKER_NAMESPACE?.trim() || env.POD_NAMESPACE?.trim() || 'quarantine';
  if (!dns.test(workerNamespace)) throw new ConfigError('K8S_WORKER_NAMESPACE', `is not a namespace name: "${workerNamespace}"`);
  const workerServiceAccount = env.K8S_WORKER_SERVICE_ACCOUNT?.trim() || 'quarantine-worker';
  if (!dns.test(workerServiceAccount)) throw new ConfigError('K8S_WORKER_SERVICE_ACCOUNT', `is not a ServiceAccount name: "${workerServiceAccount}"`);
  const pods = (name: string, def: string) => {
    const raw = env[name]?.trim() || def;
    const [namespace, labelSelector, container] = raw.split(':');
    if (!namespace || !dns.test(namespace) || !labelSelector) throw new ConfigError(name, `must be <namespace>:<label selector>[:<container>], got "${raw}"`);
    return { namespace, labelSelector, container: container || namespace };
  };
  return {
    enabled: flag === 'on',
    probeImage: env.K8S_PROBE_IMAGE?.trim() || 'quarantine/probe:latest',
    netsimImage: env.K8S_NETSIM_IMAGE?.trim() || 'quarantine/netsim:latest',
    workerNamespace,
    workerServiceAccount,
    falcoPods: pods('K8S_FALCO_PODS', 'falco:app.kubernetes.io/name=falco:falco'),
    traceePods: pods('K8S_TRACEE_PODS', 'tracee:app.kubernetes.io/name=tracee:tracee'),
    startAllowanceSeconds: envInt(env, 'K8S_START_ALLOWANCE_SECONDS', 180, 10, 3600),
    plainHttpRegistries: registries(env.K8S_PLAIN_HTTP_REGISTRIES, 'K8S_PLAIN_HTTP_REGISTRIES'),
  };
}

function registries(raw: string | undefined, variable = 'TRUSTED_REGISTRIES'): string[] {
  if (!raw?.trim()) return [];
  const list = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of list) {
    if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(r)) throw new ConfigError(variable, `entry "${r}" is not a host[:port]`);
  }
  return list;
}
