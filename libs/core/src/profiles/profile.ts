import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

import { loadCosignPublicKey } from '../image/cosign.js';
import { KUBERNETES_PROBES, PROBE_RUNTIME, PROBES, type ProbeName, RUNTIMES, type RuntimeName } from './probes.js';
import { wildcardMatch } from '../text/glob.js';
import type { StaticSettings } from '#analysis/static/types';
import { parseStaticSettings } from './profile-static.js';

export type { ProbeName, RuntimeName };
export const PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const;

/** A `runtime: kubernetes` profile's `kubernetes:` block (see docs/kubernetes.md). */
export interface KubernetesProfile {
  runtimeClassName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: 'Exists' | 'Equal'; value?: string; effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'; tolerationSeconds?: number }[];
  namespacePrefix?: string;
  restricted?: boolean;
}

/** A profile's `limits:` block, parsed (sizes in bytes, durations in seconds); runtimes take it as is (libs/sandbox). */
export interface SandboxLimits {
  memoryBytes: number;
  pids: number;
  cpus: number;
  windowSeconds: number;
  /** `limits.maxWindow`: the window grows up to this while the sample only sleeps (docs/run-integrity.md); default = window. */
  maxWindowSeconds: number;
  /** Cap on captured stdout + stderr, each. */
  outputBytes: number;
  /** Cap on the raw trace: a sample past it is killed, the run is inconclusive unless malicious (rule "Sandbox Trace Budget Exceeded"). */
  traceBytes: number;
  /** `limits.disk`: what the sandbox may write (kernel-enforced: Docker `--storage-opt size`, Kubernetes ephemeral-storage; docs/sandbox.md). */
  diskBytes: number;
}

export interface SandboxProfile {
  name: string;
  description: string;
  file: string;
  runtime: RuntimeName;
  probe: ProbeName;
  /** `default`: Docker's default capability set (the sample runs as in production); `drop-all`: strict. */
  capabilities: 'default' | 'drop-all';
  /** `none`: loopback only; `simulated`: the network simulator is the only peer (docs/network.md). */
  network: 'none' | 'simulated';
  /** Plant fresh credential lures (honeytokens) in every analysis (default true; docs/lures.md). */
  lures: boolean;
  /** Visit exposed / listening ports during the window (default true; docs/stimulation.md). */
  stimulate: boolean;
  limits: SandboxLimits;
  /** Rule files, resolved to absolute paths. */
  rules: string[];
  /** Rule names silenced for this profile (known-benign behaviour). */
  allow: string[];
  scoring: {
    weights?: Partial<Record<(typeof PRIORITIES)[number], number>>;
    thresholds?: { suspicious?: number; malicious?: number };
  };
  supplyChain: SupplyChainPolicy;
  /** Static image checks before the sandbox starts (docs/static-checks.md; profile-static.ts). */
  static: StaticSettings;
  /** Only with `runtime: kubernetes`. */
  kubernetes?: KubernetesProfile;
}

/** The supply-chain gate's policy (first step of every analysis, before anything runs). */
export interface SupplyChainPolicy {
  /**
   * `host[:port][/path prefix]` entries an image must match, on top of `TRUSTED_REGISTRIES` (the
   * hosts this machine may contact at all): both must allow it. Undefined: the env list alone.
   */
  registries?: string[];
  /** Images with no registry (present only in the local Docker engine) are analysed as they are. */
  allowLocal: boolean;
  /** cosign key-based signature required, verified with this public key (PEM, ECDSA P-256). */
  signature?: { keyFile: string; publicKeyPem: string };
}

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`);
    this.name = 'ProfileError';
  }
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/;
const KNOWN_TOP = new Set(['name', 'description', 'runtime', 'probe', 'capabilities', 'network', 'lures', 'stimulate', 'limits', 'rules', 'allow', 'scoring', 'supplyChain', 'kubernetes', 'static']);
const KNOWN_SUPPLY_CHAIN = new Set(['registries', 'allowLocal', 'signature']);
const REGISTRY_PREFIX = /^[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\/?$/;
const KNOWN_LIMITS = new Set(['memory', 'pids', 'cpus', 'window', 'maxWindow', 'output', 'trace', 'disk']);
/** `limits.disk` bounds: below 16 MiB a sandbox cannot hold its own files; above 256 GiB it protects nothing. */
export const DISK_LIMIT_BOUNDS = { min: 16 * 1024 ** 2, max: 256 * 1024 ** 3, default: 1024 ** 3 } as const;

function parseSize(file: string, field: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.floor(v);
  const m = typeof v === 'string' ? SIZE.exec(v.trim()) : null;
  if (!m) throw new ProfileError(file, field, `must be a size like 256m or 1g, got ${JSON.stringify(v)}`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * mult);
}

function parseDuration(file: string, field: string, v: unknown): number {
  if (typeof v === 'number' && v > 0) return v;
  const m = typeof v === 'string' ? DURATION.exec(v.trim()) : null;
  if (!m) throw new ProfileError(file, field, `must be a duration like 30s or 2m, got ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

function oneOf<T extends string>(file: string, field: string, v: unknown, allowed: readonly T[], def: T): T {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ProfileError(file, field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function num(file: string, field: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ProfileError(file, field, `must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(file: string, field: string, v: unknown, def: boolean): boolean {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw new ProfileError(file, field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stringList(file: string, field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw new ProfileError(file, field, 'must be a list of non-empty strings');
  }
  return v as string[];
}

/** Validates one profile document; every error names the file and the field. */
export function parseProfile(file: string, text: string, profilesDir: string): SandboxProfile {
  const short = basename(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ProfileError(short, pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)', e.message.split('\n')[0]);
  }
  const raw = doc.toJS() as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ProfileError(short, '(root)', 'must be a mapping');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN_TOP.has(k)) throw new ProfileError(short, k, 'is not a known profile field');
  const name = o.name ?? short.replace(/\.ya?ml$/, '');
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new ProfileError(short, 'name', 'must be lower-case letters, digits and dashes');
  }
  const limits = (o.limits ?? {}) as Record<string, unknown>;
  if (typeof limits !== 'object' || Array.isArray(limits)) throw new ProfileError(short, 'limits', 'must be a mapping');
  for (const k of Object.keys(limits)) if (!KNOWN_LIMITS.has(k)) throw new ProfileError(short, `limits.${k}`, 'is not a known limit');
  const probe = oneOf(short, 'probe', o.probe, PROBES, 'strace');
  const runtime = oneOf(short, 'runtime', o.runtime, RUNTIMES, PROBE_RUNTIME[probe]);
  if (runtime === 'kubernetes') {
    if (!KUBERNETES_PROBES.includes(probe)) throw new ProfileError(short, 'probe', `runtime kubernetes runs ${KUBERNETES_PROBES.join(', ')}, got ${probe}`);
  } else if (runtime !== PROBE_RUNTIME[probe]) {
    throw new ProfileError(short, 'runtime', `probe ${probe} needs runtime ${PROBE_RUNTIME[probe]}, got ${runtime}`);
  }
  if (o.kubernetes !== undefined && runtime !== 'kubernetes') throw new ProfileError(short, 'kubernetes', 'is only valid with runtime: kubernetes');
  const kubernetes = runtime === 'kubernetes' ? parseKubernetes(short, o.kubernetes) : undefined;
  const rules = stringList(short, 'rules', o.rules ?? ['rules/*.yaml']).flatMap((r) => expandRuleGlob(short, profilesDir, r));
  if (rules.length === 0) throw new ProfileError(short, 'rules', 'lists no rule file');
  const scoringRaw = (o.scoring ?? {}) as Record<string, unknown>;
  if (typeof scoringRaw !== 'object' || Array.isArray(scoringRaw)) throw new ProfileError(short, 'scoring', 'must be a mapping');
  const weights: SandboxProfile['scoring']['weights'] = {};
  const w = (scoringRaw.weights ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(w)) {
    if (!(PRIORITIES as readonly string[]).includes(k)) throw new ProfileError(short, `scoring.weights.${k}`, `is not a priority (${PRIORITIES.join(', ')})`);
    weights[k as (typeof PRIORITIES)[number]] = num(short, `scoring.weights.${k}`, v, 0, 0, 100);
  }
  const t = (scoringRaw.thresholds ?? {}) as Record<string, unknown>;
  const thresholds = {
    suspicious: t.suspicious === undefined ? undefined : num(short, 'scoring.thresholds.suspicious', t.suspicious, 0, 1, 100),
    malicious: t.malicious === undefined ? undefined : num(short, 'scoring.thresholds.malicious', t.malicious, 0, 1, 100),
  };
  if (thresholds.suspicious !== undefined && thresholds.malicious !== undefined && thresholds.suspicious > thresholds.malicious) {
    throw new ProfileError(short, 'scoring.thresholds', 'suspicious must not exceed malicious');
  }
  const network = oneOf(short, 'network', o.network, ['none', 'simulated'] as const, 'none');
  if (network === 'simulated' && runtime === 'runsc') {
    // gVisor: this host's runsc cannot give a sandbox any network (docs/network.md, "gVisor"). Kubernetes runs a simulator pod.
    throw new ProfileError(short, 'network', `simulated needs runtime runc or kubernetes, got ${runtime}: gVisor sandboxes run with network none (docs/network.md, "gVisor")`);
  }
  const windowSeconds = limits.window === undefined ? 30 : parseDuration(short, 'limits.window', limits.window);
  const maxWindowSeconds = parseMaxWindow(short, limits.maxWindow, windowSeconds);
  return {
    name,
    description: typeof o.description === 'string' ? o.description : '',
    file: short,
    runtime,
    probe,
    capabilities: oneOf(short, 'capabilities', o.capabilities, ['default', 'drop-all'] as const, 'default'),
    network,
    lures: bool(short, 'lures', o.lures, true),
    stimulate: bool(short, 'stimulate', o.stimulate, true),
    limits: {
      memoryBytes: limits.memory === undefined ? 256 * 1024 ** 2 : parseSize(short, 'limits.memory', limits.memory),
      pids: num(short, 'limits.pids', limits.pids, 128, 8, 4096),
      cpus: num(short, 'limits.cpus', limits.cpus, 1, 0.1, 64),
      windowSeconds,
      maxWindowSeconds,
      outputBytes: limits.output === undefined ? 64 * 1024 : parseSize(short, 'limits.output', limits.output),
      traceBytes: limits.trace === undefined ? 64 * 1024 ** 2 : parseSize(short, 'limits.trace', limits.trace),
      diskBytes: parseDiskLimit(short, limits.disk),
    },
    rules,
    allow: stringList(short, 'allow', o.allow),
    scoring: { weights, thresholds },
    supplyChain: parseSupplyChain(short, o.supplyChain, profilesDir),
    static: parseStaticSettings(o.static, (field, message) => {
      throw new ProfileError(short, field, message);
    }),
    ...(kubernetes ? { kubernetes } : {}),
  };
}

/** `limits.disk`: a size between 16m and 256g; absent = 1g. */
function parseDiskLimit(file: string, v: unknown): number {
  if (v === undefined || v === null) return DISK_LIMIT_BOUNDS.default;
  const n = parseSize(file, 'limits.disk', v);
  if (n < DISK_LIMIT_BOUNDS.min || n > DISK_LIMIT_BOUNDS.max) {
    throw new ProfileError(file, 'limits.disk', `must be between 16m and 256g, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** `limits.maxWindow`: at least the window, at most an hour; absent = the window (no extension). */
function parseMaxWindow(file: string, v: unknown, windowSeconds: number): number {
  if (v === undefined || v === null) return windowSeconds;
  const s = parseDuration(file, 'limits.maxWindow', v);
  if (s < windowSeconds) throw new ProfileError(file, 'limits.maxWindow', `must not be shorter than limits.window (${windowSeconds}s), got ${JSON.stringify(v)}`);
  if (s > 3600) throw new ProfileError(file, 'limits.maxWindow', `must be at most 1h (3600s), got ${JSON.stringify(v)}`);
  return s;
}

function parseSupplyChain(file: string, v: unknown, dir: string): SupplyChainPolicy {
  if (v === undefined || v === null) return { allowLocal: true };
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProfileError(file, 'supplyChain', 'must be a mapping');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN_SUPPLY_CHAIN.has(k)) throw new ProfileError(file, `supplyChain.${k}`, 'is not a known field (registries, allowLocal, signature)');
  let registries: string[] | undefined;
  if (o.registries !== undefined && o.registries !== null) {
    registries = stringList(file, 'supplyChain.registries', o.registries).map((r) => r.replace(/\/+$/, ''));
    for (const r of registries) {
      if (!REGISTRY_PREFIX.test(r)) throw new ProfileError(file, 'supplyChain.registries', `entry "${r}" is not host[:port][/path prefix]`);
    }
  }
  if (o.allowLocal !== undefined && typeof o.allowLocal !== 'boolean') throw new ProfileError(file, 'supplyChain.allowLocal', 'must be true or false');
  let signature: SupplyChainPolicy['signature'];
  if (o.signature !== undefined && o.signature !== null) {
    const s = o.signature as Record<string, unknown>;
    if (typeof s !== 'object' || Array.isArray(s)) throw new ProfileError(file, 'supplyChain.signature', 'must be a mapping with publicKey');
    for (const k of Object.keys(s)) if (k !== 'publicKey') throw new ProfileError(file, `supplyChain.signature.${k}`, 'is not a known field (publicKey)');
    if (typeof s.publicKey !== 'string' || s.publicKey.length === 0) throw new ProfileError(file, 'supplyChain.signature.publicKey', 'must be the path of a PEM public key');
    const keyFile = resolve(dir, s.publicKey);
    let pem: string;
    try {
      pem = readFileSync(keyFile, 'utf8');
    } catch {
      throw new ProfileError(file, 'supplyChain.signature.publicKey', `cannot read ${keyFile}`);
    }
    try {
      loadCosignPublicKey(pem);
    } catch (e) {
      throw new ProfileError(file, 'supplyChain.signature.publicKey', `${keyFile} ${(e as Error).message}`);
    }
    signature = { keyFile, publicKeyPem: pem };
  }
  return { registries, allowLocal: o.allowLocal === undefined ? true : o.allowLocal, signature };
}

const KNOWN_K8S = new Set(['runtimeClassName', 'nodeSelector', 'tolerations', 'namespacePrefix', 'restricted']);
const KNOWN_TOLERATION = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function parseKubernetes(file: string, v: unknown): KubernetesProfile {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProfileError(file, 'kubernetes', 'must be a mapping');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN_K8S.has(k)) throw new ProfileError(file, `kubernetes.${k}`, `is not a known field (${[...KNOWN_K8S].join(', ')})`);
  const out: KubernetesProfile = {};
  if (o.runtimeClassName !== undefined) {
    if (typeof o.runtimeClassName !== 'string' || !DNS_LABEL.test(o.runtimeClassName) || o.runtimeClassName.length > 63) throw new ProfileError(file, 'kubernetes.runtimeClassName', 'must be a RuntimeClass name (DNS label), e.g. gvisor or kata');
    out.runtimeClassName = o.runtimeClassName;
  }
  if (o.namespacePrefix !== undefined) {
    if (typeof o.namespacePrefix !== 'string' || !DNS_LABEL.test(o.namespacePrefix) || o.namespacePrefix.length > 20) throw new ProfileError(file, 'kubernetes.namespacePrefix', 'must be a DNS label of at most 20 characters');
    out.namespacePrefix = o.namespacePrefix;
  }
  if (o.restricted !== undefined) {
    if (typeof o.restricted !== 'boolean') throw new ProfileError(file, 'kubernetes.restricted', 'must be true or false');
    out.restricted = o.restricted;
  }
  if (o.nodeSelector !== undefined) {
    const ns = o.nodeSelector;
    if (typeof ns !== 'object' || ns === null || Array.isArray(ns)) throw new ProfileError(file, 'kubernetes.nodeSelector', 'must be a mapping of label to value');
    for (const [k, val] of Object.entries(ns)) {
      if (!LABEL_KEY.test(k)) throw new ProfileError(file, `kubernetes.nodeSelector.${k}`, 'is not a valid label key');
      if (typeof val !== 'string' || !LABEL_VALUE.test(val)) throw new ProfileError(file, `kubernetes.nodeSelector.${k}`, 'must be a valid label value (a string)');
    }
    out.nodeSelector = ns as Record<string, string>;
  }
  if (o.tolerations !== undefined) {
    if (!Array.isArray(o.tolerations)) throw new ProfileError(file, 'kubernetes.tolerations', 'must be a list');
    out.tolerations = o.tolerations.map((t: unknown, i: number) => {
      const f = `kubernetes.tolerations[${i}]`;
      if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new ProfileError(file, f, 'must be a mapping');
      const r = t as Record<string, unknown>;
      for (const k of Object.keys(r)) if (!KNOWN_TOLERATION.has(k)) throw new ProfileError(file, `${f}.${k}`, `is not a toleration field (${[...KNOWN_TOLERATION].join(', ')})`);
      const operator = oneOf(file, `${f}.operator`, r.operator, ['Exists', 'Equal'] as const, 'Equal');
      if (r.key !== undefined && (typeof r.key !== 'string' || !LABEL_KEY.test(r.key))) throw new ProfileError(file, `${f}.key`, 'is not a valid taint key');
      if (r.value !== undefined && (typeof r.value !== 'string' || !LABEL_VALUE.test(r.value))) throw new ProfileError(file, `${f}.value`, 'must be a valid taint value (a string)');
      if (operator === 'Exists' && r.value !== undefined) throw new ProfileError(file, `${f}.value`, 'must be empty with operator Exists');
      if (r.key === undefined && operator !== 'Exists') throw new ProfileError(file, `${f}.key`, 'is required unless operator is Exists');
      const effect = r.effect === undefined ? undefined : oneOf(file, `${f}.effect`, r.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const, 'NoSchedule');
      if (r.tolerationSeconds !== undefined && (effect !== 'NoExecute' || typeof r.tolerationSeconds !== 'number' || !Number.isInteger(r.tolerationSeconds))) {
        throw new ProfileError(file, `${f}.tolerationSeconds`, 'must be an integer, and only with effect NoExecute');
      }
      return {
        ...(r.key !== undefined ? { key: r.key as string } : {}),
        operator,
        ...(r.value !== undefined ? { value: r.value as string } : {}),
        ...(effect ? { effect } : {}),
        ...(r.tolerationSeconds !== undefined ? { tolerationSeconds: r.tolerationSeconds as number } : {}),
      };
    });
  }
  return out;
}

function expandRuleGlob(file: string, dir: string, pattern: string): string[] {
  const abs = resolve(dir, pattern);
  const base = basename(abs);
  if (!base.includes('*')) return [abs];
  const parent = abs.slice(0, abs.length - base.length);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    throw new ProfileError(file, 'rules', `directory ${parent} does not exist`);
  }
  return entries.filter((e) => wildcardMatch(base, e)).sort().map((e) => join(parent, e));
}

/** Loads every `*.yaml` profile in a directory; throws the first ProfileError. */
export function loadProfiles(dir: string): Map<string, SandboxProfile> {
  const out = new Map<string, SandboxProfile>();
  for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const path = join(dir, f);
    const p = parseProfile(path, readFileSync(path, 'utf8'), dir);
    for (const r of p.rules) {
      try {
        readFileSync(r);
      } catch {
        throw new ProfileError(f, 'rules', `rule file ${r} cannot be read`);
      }
    }
    if (out.has(p.name)) throw new ProfileError(f, 'name', `duplicates profile "${p.name}"`);
    out.set(p.name, p);
  }
  if (!out.has('default')) throw new ProfileError(dir, 'default.yaml', 'a profile named "default" is required');
  return out;
}
