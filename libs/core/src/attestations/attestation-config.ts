import { type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { keyIdOf } from './dsse.js';

type Env = Record<string, string | undefined>;

/** A public key verifiers accept, and until when (docs/attestations.md "Key rotation"). */
export interface AttestationPublicKey {
  keyid: string;
  key: KeyObject;
  pem: string;
  current: boolean;
  /** Previous keys: when they were retired (ATTESTATION_PREVIOUS_PUBLIC_KEYS). */
  retiredAt?: string;
  /** Previous keys: retiredAt + ADMISSION_MAX_AGE, when the last attestation they signed expires. */
  validUntil?: string;
}

/** Signed verdict attestations (docs/attestations.md). */
export interface AttestationConfig {
  /** ATTESTATION_KEY: the ECDSA P-256 private key (PEM file) attestations are signed with; null = attestations off. */
  signingKey: KeyObject | null;
  /** The current key first, then previous ones still valid at boot. */
  publicKeys: AttestationPublicKey[];
  /** ADMISSION_MAX_AGE: an attestation expires this long after its verdict (as admission's staleness). */
  maxAgeMs: number;
  /** ATTESTATION_ATTACH (default true): push attestations of registry images to their repository (`.att` tag). */
  attach: boolean;
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;

/** ADMISSION_MAX_AGE as the admission library reads it (same grammar and default: 7d). */
export function admissionMaxAgeMs(env: Env, error: (v: string, m: string) => Error): number {
  const raw = env.ADMISSION_MAX_AGE?.trim();
  if (raw === undefined || raw === '') return 7 * 86_400_000;
  const m = DURATION.exec(raw);
  if (!m) throw error('ADMISSION_MAX_AGE', `must be a duration like 500ms, 30s, 12h or 7d, got "${raw}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  if (ms <= 0) throw error('ADMISSION_MAX_AGE', 'must be positive');
  return ms;
}

function readPem(path: string, name: string, error: (v: string, m: string) => Error): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > 64 * 1024) throw new Error('larger than 64 KiB');
    return text;
  } catch (e) {
    throw error(name, `cannot read ${path}: ${(e as Error).message}`);
  }
}

function requireP256(key: KeyObject, name: string, error: (v: string, m: string) => Error): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw error(name, `must be an ECDSA P-256 key (as cosign generates), got ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
  }
}

export function loadAttestationConfig(env: Env, error: (v: string, m: string) => Error, now = Date.now()): AttestationConfig {
  const root = env.QUARANTINE_ROOT?.trim() || process.cwd();
  const maxAgeMs = admissionMaxAgeMs(env, error);
  const attachRaw = env.ATTESTATION_ATTACH?.trim().toLowerCase() || 'true';
  if (!['true', 'false', '1', '0'].includes(attachRaw)) throw error('ATTESTATION_ATTACH', `must be true or false, got "${env.ATTESTATION_ATTACH}"`);
  const keyFile = env.ATTESTATION_KEY?.trim();
  let signingKey: KeyObject | null = null;
  const publicKeys: AttestationPublicKey[] = [];
  if (keyFile) {
    const pem = readPem(resolve(root, keyFile), 'ATTESTATION_KEY', error);
    try {
      signingKey = createPrivateKey({ key: pem, format: 'pem', passphrase: env.ATTESTATION_KEY_PASSPHRASE || undefined });
    } catch (e) {
      throw error('ATTESTATION_KEY', `is not a PEM private key${env.ATTESTATION_KEY_PASSPHRASE ? '' : ' (encrypted keys need ATTESTATION_KEY_PASSPHRASE)'}: ${(e as Error).message}`);
    }
    requireP256(signingKey, 'ATTESTATION_KEY', error);
    const pub = createPublicKey(signingKey);
    publicKeys.push({ keyid: keyIdOf(pub), key: pub, pem: pub.export({ type: 'spki', format: 'pem' }).toString(), current: true });
  } else if (env.ATTESTATION_KEY_PASSPHRASE) {
    throw error('ATTESTATION_KEY', 'is required when ATTESTATION_KEY_PASSPHRASE is set');
  }
  const entries = (env.ATTESTATION_PREVIOUS_PUBLIC_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length > 16) throw error('ATTESTATION_PREVIOUS_PUBLIC_KEYS', `lists ${entries.length} keys; at most 16`);
  for (const [i, entry] of entries.entries()) {
    const at = entry.lastIndexOf('@');
    if (at <= 0) throw error('ATTESTATION_PREVIOUS_PUBLIC_KEYS', `entry ${i + 1} must be <public key PEM file>@<when it was retired, RFC 3339>, got "${entry.slice(0, 200)}"`);
    const retired = Date.parse(entry.slice(at + 1));
    if (!Number.isFinite(retired)) throw error('ATTESTATION_PREVIOUS_PUBLIC_KEYS', `entry ${i + 1}: "${entry.slice(at + 1, at + 60)}" is not a time (RFC 3339, e.g. 2026-12-01T00:00:00Z)`);
    const pem = readPem(resolve(root, entry.slice(0, at)), 'ATTESTATION_PREVIOUS_PUBLIC_KEYS', error);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (e) {
      throw error('ATTESTATION_PREVIOUS_PUBLIC_KEYS', `entry ${i + 1} is not a PEM public key: ${(e as Error).message}`);
    }
    requireP256(key, 'ATTESTATION_PREVIOUS_PUBLIC_KEYS', error);
    const validUntil = retired + maxAgeMs;
    if (validUntil <= now) continue; // every attestation it signed has expired: no longer listed or accepted
    const keyid = keyIdOf(key);
    if (publicKeys.some((k) => k.keyid === keyid)) continue;
    publicKeys.push({ keyid, key, pem: key.export({ type: 'spki', format: 'pem' }).toString(), current: false, retiredAt: new Date(retired).toISOString(), validUntil: new Date(validUntil).toISOString() });
  }
  return { signingKey, publicKeys, maxAgeMs, attach: attachRaw === 'true' || attachRaw === '1' };
}

/** The keys verification accepts at `now`: the current one, and previous ones until their validUntil. */
export function acceptedKeys(config: Pick<AttestationConfig, 'publicKeys'>, now = Date.now()): AttestationPublicKey[] {
  return config.publicKeys.filter((k) => k.current || (k.validUntil !== undefined && Date.parse(k.validUntil) > now));
}
