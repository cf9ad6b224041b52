import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pushSyntheticImage } from '../../../../test/support/oci-image.js';
import { REGISTRY, registryUp } from '../../../../test/support/registry.js';
import { MEDIA_TYPES, RegistryClient } from '../image/registry-client.js';
import { DSSE_LAYER_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION, attachAttestation, attestationTag, fetchAttestations } from './cosign-attach.js';
import { type DsseEnvelope, keyIdOf, signEnvelope } from './dsse.js';
import { type StatementInput, VERDICT_PREDICATE_TYPE, buildVerdictStatement, statementBytes } from './statement.js';
import { verifyAttestation } from './verify-attestation.js';

// Real registry (Debian's docker-registry on 127.0.0.1:5000, scripts/host-deps.sh) and an independent
// verifier: test/support/verify_dsse.py on Debian's python3-securesystemslib + python3-cryptography.
const run = promisify(execFile);
const client = new RegistryClient({ timeoutMs: 5000 });
const repository = `q-attest-${process.pid}-${Date.now().toString(36)}/app`;
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const wrongKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dir = mkdtempSync(join(tmpdir(), 'q-attest-it-'));
const pemFile = (name: string, k: typeof key) => {
  const f = join(dir, name);
  writeFileSync(f, k.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return f;
};
const pub = pemFile('key.pub', key);
const wrongPub = pemFile('wrong.pub', wrongKey);
let digest: string;
let otherDigest: string;

const pushImage = (tag: string, content: string) => pushSyntheticImage(client, REGISTRY, repository, tag, content);

function statementFor(d: string, over: Partial<StatementInput> = {}) {
  return buildVerdictStatement({
    subjectName: `${REGISTRY}/${repository}`, digest: d, analysisId: 'it-1', image: `${REGISTRY}/${repository}:v1`, verdict: 'clean', score: 0, findings: [],
    profile: 'default', probe: 'strace', probeHealth: { complete: true, lost: 0, budgetExceeded: false, error: null }, rulesVersion: 'e'.repeat(64),
    publicUrl: 'http://localhost:3000', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), rescoredAt: null,
    issuedAt: new Date().toISOString(), maxAgeMs: 3_600_000, ...over,
  });
}

async function python(envelope: unknown, pemPath: string, d: string, now?: string): Promise<{ ok: boolean; reason?: string; verdict?: string; subject?: string }> {
  const f = join(dir, `env-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(envelope));
  // /usr/bin/python3: Debian's interpreter, where python3-securesystemslib is installed.
  const out = await run('/usr/bin/python3', ['test/support/verify_dsse.py', f, pemPath, d, ...(now ? [now] : [])]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(out.stdout) as { ok: boolean; reason?: string };
}

beforeAll(async () => {
  if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
  digest = await pushImage('v1', `layer ${repository}`);
  otherDigest = await pushImage('v2', `other layer ${repository}`);
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('attestations in a real registry, verified independently', () => {
  let fetched: DsseEnvelope;

  it('pushes the envelope as cosign does (.att tag, DSSE layer, annotations), keeps other predicate types, replaces its own', async () => {
    // Someone's SBOM attestation already on the tag: it must survive.
    const sbom = signEnvelope(Buffer.from('{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://spdx.dev/Document"}'), wrongKey.privateKey);
    await attachAttestation(client, { registry: REGISTRY, repository, digest }, Buffer.from(JSON.stringify(sbom)), 'https://spdx.dev/Document');
    const first = signEnvelope(statementBytes(statementFor(digest, { verdict: 'malicious', score: 90 })), key.privateKey);
    await attachAttestation(client, { registry: REGISTRY, repository, digest }, Buffer.from(JSON.stringify(first)), VERDICT_PREDICATE_TYPE);
    const second = signEnvelope(statementBytes(statementFor(digest)), key.privateKey);
    const out = await attachAttestation(client, { registry: REGISTRY, repository, digest }, Buffer.from(JSON.stringify(second)), VERDICT_PREDICATE_TYPE);
    expect(out.tag).toBe(attestationTag(digest));
    expect(out.layers).toBe(2);
    // Debian's docker-registry 2.8 has no referrers API: detected, the .att tag is the way.
    expect(out.referrersApi).toBe(false);

    const m = await client.manifest(REGISTRY, repository, attestationTag(digest));
    expect(m.digest).toBe(out.manifestDigest);
    expect(m.json.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(m.json.layers?.map((l) => [l.mediaType, l.annotations])).toEqual([
      [DSSE_LAYER_MEDIA_TYPE, { 'dev.cosignproject.cosign/signature': '', [PREDICATE_TYPE_ANNOTATION]: 'https://spdx.dev/Document' }],
      [DSSE_LAYER_MEDIA_TYPE, { 'dev.cosignproject.cosign/signature': '', [PREDICATE_TYPE_ANNOTATION]: VERDICT_PREDICATE_TYPE }],
    ]);
    expect((m.json as { subject?: { digest: string } }).subject?.digest).toBe(digest);
    const ours = await fetchAttestations(client, { registry: REGISTRY, repository, digest }, VERDICT_PREDICATE_TYPE);
    expect(ours).toHaveLength(1);
    fetched = JSON.parse(ours[0].toString()) as DsseEnvelope;
    expect(fetched).toEqual(second);
  }, 30_000);

  it('the envelope fetched back verifies with securesystemslib and with Quarantine\'s verifier', async () => {
    expect(await python(fetched, pub, digest)).toMatchObject({ ok: true, verdict: 'clean', subject: `${REGISTRY}/${repository}` });
    const mine = verifyAttestation(fetched, { keys: [{ keyid: keyIdOf(key.publicKey), key: key.publicKey }], digest });
    expect(mine.ok && mine.statement.predicate.verdict).toBe('clean');
  }, 30_000);

  it('both refuse a tampered payload, a wrong key, an expired attestation and a digest mismatch', async () => {
    const st = JSON.parse(Buffer.from(fetched.payload, 'base64').toString()) as { predicate: { score: number } };
    st.predicate.score = 1;
    const tampered = { ...fetched, payload: Buffer.from(JSON.stringify(st)).toString('base64') };
    const later = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const keys = [{ keyid: keyIdOf(key.publicKey), key: key.publicKey }];
    const wrong = [{ keyid: keyIdOf(wrongKey.publicKey), key: wrongKey.publicKey }];
    const cases: [string, () => Promise<{ ok: boolean; reason?: string }>, () => { ok: boolean; code?: string }, string, string][] = [
      ['tampered', () => python(tampered, pub, digest), () => verifyAttestation(tampered, { keys, digest }), 'signature', 'bad-signature'],
      ['wrong key', () => python(fetched, wrongPub, digest), () => verifyAttestation(fetched, { keys: wrong, digest }), 'signature', 'bad-signature'],
      ['expired', () => python(fetched, pub, digest, later), () => verifyAttestation(fetched, { keys, digest, now: Date.parse(later) }), 'expired', 'expired'],
      ['digest mismatch', () => python(fetched, pub, otherDigest), () => verifyAttestation(fetched, { keys, digest: otherDigest }), 'subject', 'wrong-subject'],
    ];
    for (const [name, indep, own, reason, code] of cases) {
      expect([name, await indep()]).toEqual([name, { ok: false, reason }]);
      expect([name, own()]).toMatchObject([name, { ok: false, code }]);
    }
  }, 30_000);
});
