import type { KeyObject } from 'node:crypto';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, verifyEnvelopeSignature } from './dsse.js';
import { STATEMENT_TYPE, VERDICT_PREDICATE_TYPE, type VerdictStatement } from './statement.js';

export type AttestationCheck =
  | { ok: true; statement: VerdictStatement; keyid: string }
  | { ok: false; code: 'malformed' | 'bad-signature' | 'wrong-subject' | 'expired' | 'wrong-type'; reason: string };

/**
 * Quarantine's own verification (admission with ADMISSION_REQUIRE_ATTESTATION, and the tests'
 * counterpart to the independent Python verifier): the envelope must be signed by one of `keys`
 * over PAE, carry an in-toto Statement v1 with Quarantine's verdict predicate, name `digest` as
 * its subject, and not have expired at `now`. The verdict itself is the caller's to judge.
 */
export function verifyAttestation(envelope: unknown, opts: { keys: readonly { keyid: string; key: KeyObject }[]; digest: string; now?: number }): AttestationCheck {
  const parsed = parseEnvelope(envelope);
  if (!parsed.ok) return { ok: false, code: 'malformed', reason: parsed.reason };
  if (parsed.envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { ok: false, code: 'wrong-type', reason: `payloadType is ${parsed.envelope.payloadType.slice(0, 100)}, not ${IN_TOTO_PAYLOAD_TYPE}` };
  const keyid = verifyEnvelopeSignature(parsed.envelope, parsed.payload, opts.keys);
  if (!keyid) return { ok: false, code: 'bad-signature', reason: `no signature verifies with the ${opts.keys.length} accepted public key(s)` };
  let statement: VerdictStatement;
  try {
    statement = JSON.parse(parsed.payload.toString('utf8')) as VerdictStatement;
  } catch {
    return { ok: false, code: 'malformed', reason: 'signed payload is not JSON' };
  }
  if (statement?._type !== STATEMENT_TYPE) return { ok: false, code: 'wrong-type', reason: `statement _type is not ${STATEMENT_TYPE}` };
  if (statement.predicateType !== VERDICT_PREDICATE_TYPE) return { ok: false, code: 'wrong-type', reason: `predicateType is not ${VERDICT_PREDICATE_TYPE}` };
  const hex = opts.digest.replace(/^sha256:/, '');
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  if (!subjects.some((s) => s?.digest?.sha256 === hex)) return { ok: false, code: 'wrong-subject', reason: `the statement's subject is not ${opts.digest}` };
  const expires = Date.parse(String(statement.predicate?.expiresAt));
  if (!Number.isFinite(expires)) return { ok: false, code: 'malformed', reason: 'predicate has no expiresAt' };
  if (expires <= (opts.now ?? Date.now())) return { ok: false, code: 'expired', reason: `attestation expired at ${statement.predicate.expiresAt}` };
  return { ok: true, statement, keyid };
}
