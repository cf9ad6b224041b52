import { type KeyObject, createHash, createPublicKey, sign, verify } from 'node:crypto';

/**
 * DSSE (Dead Simple Signing Envelope, v1.0) as cosign writes it for in-toto attestations: the
 * signature is over PAE(payloadType, payload), ECDSA P-256 with SHA-256, DER-encoded, base64.
 * node:crypto does the cryptography; this file only frames bytes.
 */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** Pre-Authentication Encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/** The keyid Quarantine puts in envelopes and key listings: hex SHA-256 of the public key's DER SubjectPublicKeyInfo. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function signEnvelope(payload: Buffer, key: KeyObject, keyid = keyIdOf(key), payloadType = IN_TOTO_PAYLOAD_TYPE): DsseEnvelope {
  const sig = sign('sha256', pae(payloadType, payload), { key, dsaEncoding: 'der' });
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/** Upper bound on an envelope we read back (ours are a few KiB; findings are capped). */
export const MAX_ENVELOPE_BYTES = 512 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type EnvelopeParse = { ok: true; envelope: DsseEnvelope; payload: Buffer } | { ok: false; reason: string };

/** Checks an untrusted value has the envelope's shape (bounded), and decodes its payload. */
export function parseEnvelope(value: unknown): EnvelopeParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'envelope is not a JSON object' };
  const e = value as Record<string, unknown>;
  if (typeof e.payloadType !== 'string') return { ok: false, reason: 'envelope has no payloadType' };
  if (typeof e.payload !== 'string' || e.payload.length > MAX_ENVELOPE_BYTES || !BASE64.test(e.payload)) return { ok: false, reason: 'envelope payload is not bounded base64' };
  if (!Array.isArray(e.signatures) || e.signatures.length === 0 || e.signatures.length > 16) return { ok: false, reason: 'envelope has no signatures (or more than 16)' };
  const signatures: DsseSignature[] = [];
  for (const s of e.signatures as unknown[]) {
    const sig = (s as Record<string, unknown> | null)?.sig;
    const keyid = (s as Record<string, unknown> | null)?.keyid;
    if (typeof sig !== 'string' || sig.length > 1024 || !BASE64.test(sig)) return { ok: false, reason: 'envelope signature is not base64' };
    signatures.push({ keyid: typeof keyid === 'string' ? keyid.slice(0, 128) : '', sig });
  }
  return { ok: true, envelope: { payloadType: e.payloadType, payload: e.payload, signatures }, payload: Buffer.from(e.payload, 'base64') };
}

/**
 * Which of `keys` signed the envelope (the first signature that verifies with any of them), or
 * null. Signatures whose keyid names a key are tried against that key first; an empty or unknown
 * keyid (cosign writes "") is tried against every key.
 */
export function verifyEnvelopeSignature(envelope: DsseEnvelope, payload: Buffer, keys: readonly { keyid: string; key: KeyObject }[]): string | null {
  const message = pae(envelope.payloadType, payload);
  for (const s of envelope.signatures) {
    const named = keys.filter((k) => k.keyid === s.keyid);
    for (const k of named.length > 0 ? named : keys) {
      let ok = false;
      try {
        ok = verify('sha256', message, { key: k.key, dsaEncoding: 'der' }, Buffer.from(s.sig, 'base64'));
      } catch {
        ok = false;
      }
      if (ok) return k.keyid;
    }
  }
  return null;
}
