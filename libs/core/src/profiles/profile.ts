import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

import { loadCosignPublicKey } from '../image/cosign.js';
import { PROBE_RUNTIME, PROBES, type ProbeName, RUNTIMES, type RuntimeName } from './probes.js';

export type { ProbeName, RuntimeName };
export const PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const;

export interface SandboxProfile {
  name: string;
  description: string;
  file: string;
  runtime: RuntimeName;
  probe: ProbeName;
  /** `default`: Docker's default capability set (the sample runs as in production); `drop-all`: strict. */
  capabilities: 'default' | 'drop-all';
  network: 'none';
  limits: {
    memoryBytes: number;
    pids: number;
    cpus: number;
    windowSeconds: number;
    /** Cap on captured stdout + stderr, each. */
    outputBytes: number;
    /** Cap on the raw trace: a sample past it is killed (finding `trace_budget_exceeded`). */
    traceBytes: number;
  };
  /** Rule files, resolved to absolute paths. */
  rules: string[];
  /** Rule names silenced for this profile (known-benign behaviour). */
  allow: string[];
  scoring: {
    weights?: Partial<Record<(typeof PRIORITIES)[number], number>>;
    thresholds?: { suspicious?: number; malicious?: number };
  };
  supplyChain: SupplyChainPolicy;
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
const KNOWN_TOP = new Set(['name', 'description', 'runtime', 'probe', 'capabilities', 'network', 'limits', 'rules', 'allow', 'scoring', 'supplyChain']);
const KNOWN_SUPPLY_CHAIN = new Set(['registries', 'allowLocal', 'signature']);
const REGISTRY_PREFIX = /^[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\/?$/;
const KNOWN_LIMITS = new Set(['memory', 'pids', 'cpus', 'window', 'output', 'trace']);

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
  if (runtime !== PROBE_RUNTIME[probe]) {
    throw new ProfileError(short, 'runtime', `probe ${probe} needs runtime ${PROBE_RUNTIME[probe]}, got ${runtime}`);
  }
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
  const network = oneOf(short, 'network', o.network, ['none'] as const, 'none');
  return {
    name,
    description: typeof o.description === 'string' ? o.description : '',
    file: short,
    runtime,
    probe,
    capabilities: oneOf(short, 'capabilities', o.capabilities, ['default', 'drop-all'] as const, 'default'),
    network,
    limits: {
      memoryBytes: limits.memory === undefined ? 256 * 1024 ** 2 : parseSize(short, 'limits.memory', limits.memory),
      pids: num(short, 'limits.pids', limits.pids, 128, 8, 4096),
      cpus: num(short, 'limits.cpus', limits.cpus, 1, 0.1, 64),
      windowSeconds: limits.window === undefined ? 30 : parseDuration(short, 'limits.window', limits.window),
      outputBytes: limits.output === undefined ? 64 * 1024 : parseSize(short, 'limits.output', limits.output),
      traceBytes: limits.trace === undefined ? 64 * 1024 ** 2 : parseSize(short, 'limits.trace', limits.trace),
    },
    rules,
    allow: stringList(short, 'allow', o.allow),
    scoring: { weights, thresholds },
    supplyChain: parseSupplyChain(short, o.supplyChain, profilesDir),
  };
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

function expandRuleGlob(file: string, dir: string, pattern: string): string[] {
  const abs = resolve(dir, pattern);
  const base = basename(abs);
  if (!base.includes('*')) return [abs];
  const parent = abs.slice(0, abs.length - base.length);
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    throw new ProfileError(file, 'rules', `directory ${parent} does not exist`);
  }
  return entries.filter((e) => re.test(e)).sort().map((e) => join(parent, e));
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
