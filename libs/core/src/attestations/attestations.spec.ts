import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { ConfigError } from '../config/config.js';
import { acceptedKeys, loadAttestationConfig } from './attestation-config.js';
import { attestationTag } from './cosign-attach.js';
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, keyIdOf, pae, parseEnvelope, signEnvelope } from './dsse.js';
import { MAX_PREDICATE_FINDINGS, STATEMENT_TYPE, VERDICT_PREDICATE_TYPE, type StatementInput, buildVerdictStatement, statementBytes } from './statement.js';
import { verifyAttestation } from './verify-attestation.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const schema = JSON.parse(readFileSync(join(process.cwd(), 'deploy/attestations/verdict-predicate.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
(ajvFormats as unknown as (a: Ajv) => Ajv)(ajv); // CommonJS default export
const validatePredicate = ajv.compile(schema);

function input(over: Partial<StatementInput> = {}): StatementInput {
  return {
    subjectName: '127.0.0.1:5000/team/app', digest: DIGEST, analysisId: 'a1', image: '127.0.0.1:5000/team/app:1.0', verdict: 'clean', score: 3,
    findings: [
      { rule: 'Read sensitive file', priority: 'WARNING', tags: ['container', 'T1552.001', 'mitre_credential_access'], count: 2, points: 3 },
      { rule: 'Shell spawned', priority: 'NOTICE', tags: ['process', 'T1059.004', 'mitre_execution'], count: 1, points: 5 },
    ],
    profile: 'default', probe: 'strace', probeHealth: { complete: true, lost: 0, budgetExceeded: false, error: null }, rulesVersion: 'c'.repeat(64),
    publicUrl: 'https://quarantine.example/', startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:00:30.000Z', rescoredAt: null,
    issuedAt: '2026-12-01T10:00:30.000Z', maxAgeMs: 7 * 86_400_000, ...over,
  };
}

describe('PAE', () => {
  it('frames type and body with their byte lengths (the DSSE spec example)', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });
  it('counts bytes, not characters', () => {
    expect(pae('t', Buffer.from('é', 'utf8')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
    expect(pae('', Buffer.alloc(0)).toString()).toBe('DSSEv1 0  0 ');
  });
});

describe('verdict statement', () => {
  it('is an in-toto Statement v1 about the digest whose predicate the shipped JSON Schema accepts', () => {
    const s = buildVerdictStatement(input());
    expect(s._type).toBe(STATEMENT_TYPE);
    expect(s.predicateType).toBe(VERDICT_PREDICATE_TYPE);
    expect(s.subject).toEqual([{ name: '127.0.0.1:5000/team/app', digest: { sha256: 'ab'.repeat(32) } }]);
    expect(validatePredicate(s.predicate)).toBe(true);
    expect(validatePredicate.errors ?? null).toBeNull();
  });
  it('carries the verdict, evidence, ATT&CK tags, rules sha256, report URL and expiry ADMISSION_MAX_AGE after the verdict', () => {
    const p = buildVerdictStatement(input()).predicate;
    expect(p).toMatchObject({ verdict: 'clean', score: 3, profile: 'default', findingsTotal: 2, rules: { version: `sha256:${'c'.repeat(64)}` } });
    // Highest points first.
    expect(p.findings.map((f) => [f.rule, f.attack, f.count])).toEqual([['Shell spawned', ['T1059.004', 'mitre_execution'], 1], ['Read sensitive file', ['T1552.001', 'mitre_credential_access'], 2]]);
    expect(p.analysis.reportUrl).toBe('https://quarantine.example/v1/analyses/a1/report');
    expect(p.expiresAt).toBe('2026-12-08T10:00:30.000Z');
    expect(p.probe).toEqual({ name: 'strace', health: { complete: true, lost: 0, budgetExceeded: false, error: null } });
  });
  it('bounds the findings it lists and says how many there were', () => {
    const many = Array.from({ length: 250 }, (_, i) => ({ rule: `r${i}`, priority: 'NOTICE', tags: [], count: 1, points: i }));
    const p = buildVerdictStatement(input({ findings: many })).predicate;
    expect(p.findings).toHaveLength(MAX_PREDICATE_FINDINGS);
    expect(p.findings[0].rule).toBe('r249');
    expect(p.findingsTotal).toBe(250);
    expect(validatePredicate(p)).toBe(true);
  });
  it('refuses a digest that is not sha256 hex', () => {
    expect(() => buildVerdictStatement(input({ digest: 'sha256:xyz' }))).toThrow(/sha256/);
  });
  it('the schema refuses a predicate with an unknown verdict or no expiry', () => {
    const p = buildVerdictStatement(input()).predicate;
    expect(validatePredicate({ ...p, verdict: 'fine' })).toBe(false);
    const { expiresAt: _e, ...noExpiry } = p;
    expect(validatePredicate(noExpiry)).toBe(false);
  });
});

describe('sign and verify', () => {
  const { privateKey, publicKey } = newKey();
  const keys = [{ keyid: keyIdOf(publicKey), key: publicKey }];
  const now = Date.parse('2026-12-02T00:00:00Z');
  const signed = () => signEnvelope(statementBytes(buildVerdictStatement(input())), privateKey);

  it('signs in cosign\'s DSSE shape with a keyid derived from the public key', () => {
    const env = signed();
    expect(env.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(env.signatures).toHaveLength(1);
    expect(env.signatures[0].keyid).toBe(keyIdOf(privateKey));
    expect(env.signatures[0].keyid).toMatch(/^[a-f0-9]{64}$/);
    const r = verifyAttestation(env, { keys, digest: DIGEST, now });
    expect(r.ok && r.statement.predicate.verdict).toBe('clean');
  });
  it('refuses a tampered payload', () => {
    const env = signed();
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { predicate: { verdict: string } };
    st.predicate.verdict = 'clean ';
    const tampered: DsseEnvelope = { ...env, payload: Buffer.from(JSON.stringify(st)).toString('base64') };
    expect(verifyAttestation(tampered, { keys, digest: DIGEST, now })).toMatchObject({ ok: false, code: 'bad-signature' });
  });
  it('refuses a signature by another key, even one claiming the right keyid', () => {
    const other = newKey();
    const env = signEnvelope(statementBytes(buildVerdictStatement(input())), other.privateKey, keys[0].keyid);
    expect(verifyAttestation(env, { keys, digest: DIGEST, now })).toMatchObject({ ok: false, code: 'bad-signature' });
  });
  it('refuses an expired attestation and a digest mismatch', () => {
    expect(verifyAttestation(signed(), { keys, digest: DIGEST, now: Date.parse('2026-12-08T10:00:30.000Z') })).toMatchObject({ ok: false, code: 'expired' });
    expect(verifyAttestation(signed(), { keys, digest: `sha256:${'cd'.repeat(32)}`, now })).toMatchObject({ ok: false, code: 'wrong-subject' });
  });
  it('refuses a changed payloadType (it is inside the signature) and malformed envelopes, without throwing', () => {
    expect(verifyAttestation({ ...signed(), payloadType: 'text/plain' }, { keys, digest: DIGEST, now })).toMatchObject({ ok: false });
    for (const bad of [null, 'x', [], {}, { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: '!!', signatures: [] }, { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: 'e30=', signatures: [{ sig: 5 }] }]) {
      expect(verifyAttestation(bad, { keys, digest: DIGEST, now })).toMatchObject({ ok: false, code: 'malformed' });
    }
    expect(parseEnvelope({ payloadType: 'a', payload: 'e30=', signatures: Array(17).fill({ sig: 'AA==' }) }).ok).toBe(false);
  });
});

describe('attestation config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'q-attest-cfg-'));
  const err = (v: string, m: string) => new ConfigError(v, m);
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const current = newKey();
  const old = newKey();
  const keyFile = write('current.pem', current.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const oldPub = write('old.pub', old.publicKey.export({ type: 'spki', format: 'pem' }).toString());

  it('is off without ATTESTATION_KEY', () => {
    expect(loadAttestationConfig({}, err)).toMatchObject({ signingKey: null, publicKeys: [], attach: true, maxAgeMs: 7 * 86_400_000 });
  });
  it('loads the key, its public key and keyid, and keeps a previous key listed until retiredAt + ADMISSION_MAX_AGE', () => {
    const now = Date.parse('2026-12-05T00:00:00Z');
    const c = loadAttestationConfig({ ATTESTATION_KEY: keyFile, ATTESTATION_PREVIOUS_PUBLIC_KEYS: `${oldPub}@2026-12-01T00:00:00Z`, ADMISSION_MAX_AGE: '7d' }, err, now);
    expect(c.publicKeys.map((k) => [k.current, k.keyid, k.validUntil])).toEqual([
      [true, keyIdOf(current.publicKey), undefined],
      [false, keyIdOf(old.publicKey), '2026-12-08T00:00:00.000Z'],
    ]);
    expect(createPublicKey(c.publicKeys[0].pem).equals(current.publicKey)).toBe(true);
    expect(acceptedKeys(c, Date.parse('2026-12-07T23:59:59Z'))).toHaveLength(2);
    expect(acceptedKeys(c, Date.parse('2026-12-08T00:00:01Z'))).toHaveLength(1);
    // Booted after its attestations all expired: not listed at all.
    expect(loadAttestationConfig({ ATTESTATION_KEY: keyFile, ATTESTATION_PREVIOUS_PUBLIC_KEYS: `${oldPub}@2026-12-01T00:00:00Z`, ADMISSION_MAX_AGE: '1d' }, err, now).publicKeys).toHaveLength(1);
  });
  it('stops at boot naming the variable for a missing file, a non-P-256 key, a bad entry or a bad flag', () => {
    const rsa = write('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const p384 = write('p384.pub', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const cases: [Record<string, string>, RegExp][] = [
      [{ ATTESTATION_KEY: join(dir, 'missing.pem') }, /ATTESTATION_KEY cannot read/],
      [{ ATTESTATION_KEY: oldPub }, /ATTESTATION_KEY is not a PEM private key/],
      [{ ATTESTATION_KEY: rsa }, /ATTESTATION_KEY must be an ECDSA P-256 key.*rsa/],
      [{ ATTESTATION_KEY: keyFile, ATTESTATION_PREVIOUS_PUBLIC_KEYS: oldPub }, /ATTESTATION_PREVIOUS_PUBLIC_KEYS entry 1 must be <public key PEM file>@/],
      [{ ATTESTATION_KEY: keyFile, ATTESTATION_PREVIOUS_PUBLIC_KEYS: `${oldPub}@yesterday` }, /entry 1: "yesterday" is not a time/],
      [{ ATTESTATION_KEY: keyFile, ATTESTATION_PREVIOUS_PUBLIC_KEYS: `${p384}@2099-01-01T00:00:00Z` }, /ATTESTATION_PREVIOUS_PUBLIC_KEYS must be an ECDSA P-256/],
      [{ ATTESTATION_ATTACH: 'maybe' }, /ATTESTATION_ATTACH must be true or false/],
      [{ ADMISSION_MAX_AGE: 'soon' }, /ADMISSION_MAX_AGE must be a duration/],
    ];
    for (const [env, re] of cases) expect(() => loadAttestationConfig(env, err)).toThrow(re);
  });
});

it('names the .att tag like cosign (sha256-<hex>.att) and refuses anything but a sha256 digest', () => {
  expect(attestationTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.att`);
  expect(() => attestationTag('sha256:../x')).toThrow();
});
