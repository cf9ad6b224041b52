import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadAdmissionConfig } from '#admission/admission.config';
import { AdmissionService } from '#admission/admission.service';
import { VerdictCache } from '#admission/verdict.cache';
import { AttestationChecker } from '#core/attestations/attestation-checker';
import { acceptedKeys } from '#core/attestations/attestation-config';
import { fetchAttestations } from '#core/attestations/cosign-attach';
import { type DsseEnvelope, keyIdOf } from '#core/attestations/dsse';
import { VERDICT_PREDICATE_TYPE } from '#core/attestations/statement';
import { verifyAttestation } from '#core/attestations/verify-attestation';
import { loadConfig } from '#core/config/config';
import { RegistryClient } from '#core/image/registry-client';
import { Metrics } from '#core/metrics/metrics';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord, FindingSummary } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { Keys } from '#core/storage/redis-keys';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { pushSyntheticImage } from '../../../../test/support/oci-image.js';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { REGISTRY, registryUp } from '../../../../test/support/registry.js';
import { AttestationService } from '../../../worker/src/detonation/attestation.service.js';
import { createApiApp } from '../bootstrap.js';

// The worker's AttestationService over real Redis, artifacts and the real local registry; the API
// in-process (real HTTP through the Nest app); admission's AdmissionService with the real verdict
// cache and AttestationChecker. No detonation: the analysis records are written as a run leaves them.
const DB = 26;
const dir = mkdtempSync(join(tmpdir(), 'q-attest-api-'));
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const old = generateKeyPairSync('ec', { namedCurve: 'P-256' });
writeFileSync(join(dir, 'attest.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(dir, 'old.pub'), old.publicKey.export({ type: 'spki', format: 'pem' }));
const retiredAt = new Date(Date.now() - 86_400_000).toISOString();
const repository = `q-attest-api-${process.pid}-${Date.now().toString(36)}/app`;
const client = new RegistryClient({ timeoutMs: 5000 });
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const findings: FindingSummary[] = [{ rule: 'Shell in container', priority: 'NOTICE', tags: ['T1059.004', 'mitre_execution'], count: 1, points: 2, share: 1, output: 'sh' }];

let t: ApiApp;
let worker: AttestationService;
const metrics = new Metrics('worker');
let repo: AnalysisRepository;
let artifacts: ArtifactStore;
let digest: string;

async function completed(over: Partial<AnalysisRecord>): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await repo.create({
    id, image: `${REGISTRY}/${repository}:v1`, digest, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc', status: 'completed', phase: 'done', verdict: 'clean', score: 2,
    findings, labels: {}, priority: 5, rulesVersion: 'f'.repeat(64), createdAt: now, startedAt: now, finishedAt: now, attempts: 1, error: null, submittedBy: 'test',
    supplyChain: { source: 'registry', digest, resolvedTag: 'v1', signature: 'not-required' }, countsForAdmission: true, ...over,
  } as AnalysisRecord);
  await artifacts.writeJson(id, 'report.json', { probe: { complete: true, lost: 0, budgetExceeded: false, startError: null, stopError: null } });
  return id;
}
const attest = (id: string, at: string, holds = true) => worker.attest(id, { verdict: 'clean', score: 2, findings, rulesVersion: 'f'.repeat(64) }, at, holds);

beforeAll(async () => {
  if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
  digest = await pushSyntheticImage(client, REGISTRY, repository, 'v1', `attest api ${repository}`);
  t = await startApiApp({ db: DB, env: {
    ATTESTATION_KEY: join(dir, 'attest.pem'), ATTESTATION_PREVIOUS_PUBLIC_KEYS: `${join(dir, 'old.pub')}@${retiredAt}`, ADMISSION_MAX_AGE: '2d',
    TRUSTED_REGISTRIES: `${REGISTRY},127.0.0.1:9`, QUARANTINE_PUBLIC_URL: 'https://quarantine.test',
  } });
  repo = new AnalysisRepository(t.redis);
  artifacts = new ArtifactStore(t.config.artifactDir);
  worker = new AttestationService(repo, artifacts, t.redis, t.config, metrics);
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('signed verdict attestations: worker → registry → API → admission', () => {
  let id: string;
  let envelope: DsseEnvelope;

  it('the worker signs a registry image\'s verdict, attaches it to its repository and records it; the verdict is untouched', async () => {
    id = await completed({});
    const at = new Date().toISOString();
    const state = await attest(id, at);
    expect(state).toMatchObject({ status: 'attached', keyid: keyIdOf(key.publicKey), predicateType: VERDICT_PREDICATE_TYPE, registry: { tag: `${digest.replace(':', '-')}.att`, referrersApi: false } });
    const rec = await repo.get(id);
    expect(rec?.attestation).toEqual(state);
    expect(rec).toMatchObject({ verdict: 'clean', status: 'completed' });
    const inRegistry = await fetchAttestations(client, { registry: REGISTRY, repository, digest }, VERDICT_PREDICATE_TYPE);
    expect(inRegistry).toHaveLength(1);
    envelope = JSON.parse(inRegistry[0].toString()) as DsseEnvelope;
    const v = verifyAttestation(envelope, { keys: acceptedKeys(t.config.attestation), digest });
    expect(v.ok && v.statement.predicate).toMatchObject({ verdict: 'clean', score: 2, analysis: { id, reportUrl: `https://quarantine.test/v1/analyses/${id}/report` }, probe: { name: 'strace', health: { complete: true } } });
    expect(v.ok && Date.parse(v.statement.predicate.expiresAt) - Date.parse(at)).toBe(2 * 86_400_000);
  }, 30_000);

  it('GET /v1/analyses/:id/attestation serves the envelope attached to the image, ?format=statement its statement', async () => {
    const res = await t.http.get(`/v1/analyses/${id}/attestation`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(envelope);
    const st = await t.http.get(`/v1/analyses/${id}/attestation?format=statement`).set(auth);
    expect(st.body).toMatchObject({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: `${REGISTRY}/${repository}`, digest: { sha256: digest.slice(7) } }] });
    const bad = await t.http.get(`/v1/analyses/${id}/attestation?format=cbor`).set(auth);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('format');
  });

  it('GET /v1/attestations/public-key: the PEM with no API key needed, and ?format=json with the previous key until it expires', async () => {
    const pem = await t.http.get('/v1/attestations/public-key');
    expect(pem.status).toBe(200);
    expect(pem.headers['content-type']).toMatch(/application\/x-pem-file/);
    expect(pem.text).toBe(key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const json = await t.http.get('/v1/attestations/public-key?format=json');
    expect(json.body.keys.map((k: { keyid: string; current: boolean; validUntil: string | null }) => [k.keyid, k.current, k.validUntil])).toEqual([
      [keyIdOf(key.publicKey), true, null],
      [keyIdOf(old.publicKey), false, new Date(Date.parse(retiredAt) + 2 * 86_400_000).toISOString()],
    ]);
  });

  it('local-only images, a registry that fails, and analyses that no longer hold the verdict: recorded, never thrown', async () => {
    const local = await completed({ image: 'quarantine-samples/hello:latest', supplyChain: { source: 'local', signature: 'not-required' } });
    expect(await attest(local, new Date().toISOString())).toMatchObject({ status: 'not-applicable', reason: expect.stringMatching(/local-only/) });
    const r = await t.http.get(`/v1/analyses/${local}/attestation`).set(auth);
    expect([r.status, r.body.code, r.body.message]).toEqual([409, 'conflict', expect.stringMatching(/local-only image/)]);

    const down = await completed({ image: '127.0.0.1:9/team/app:v1' });
    const state = await attest(down, new Date().toISOString());
    expect(state).toMatchObject({ status: 'failed', reason: expect.stringMatching(/signed \(downloadable\) but not attached/) });
    expect((await t.http.get(`/v1/analyses/${down}/attestation`).set(auth)).status).toBe(200);

    const older = await completed({});
    expect(await attest(older, new Date().toISOString(), false)).toMatchObject({ status: 'signed', reason: expect.stringMatching(/later analysis holds/) });
    const queued = await completed({ status: 'queued', countsForAdmission: undefined });
    expect((await t.http.get(`/v1/analyses/${queued}/attestation`).set(auth)).body.message).toMatch(/only completed analyses are attested/);
    const text = await metrics.render();
    for (const status of ['attached', 'not-applicable', 'failed', 'signed']) expect(text).toContain(`quarantine_attestations_total{status="${status}",process="worker"} 1`);
    expect(text).toContain('quarantine_attestation_seconds_count{process="worker",status="attached"} 1');
  }, 30_000);

  it('admission with ADMISSION_REQUIRE_ATTESTATION admits the clean digest only with its valid attestation', async () => {
    const at = (await repo.get(id))!.attestation!.signedAt!;
    await repo.setVerdict({ digest, verdict: 'clean', score: 2, rulesVersion: 'f'.repeat(64), analysisId: id, image: `${REGISTRY}/${repository}:v1`, at, finishedAt: at, profile: 'default', probe: 'strace' });
    // Make the attestation in Redis the one of `id` again (the other tests' analyses wrote theirs).
    await t.redis.set(Keys.attestation(digest), JSON.stringify(envelope));
    const sub = new Redis(testRedisUrl(DB));
    const verdicts = new VerdictCache(t.redis, sub, 30_000);
    await verdicts.start();
    const checker = new AttestationChecker(t.redis, () => acceptedKeys(t.config.attestation));
    const admission = (require_: string) => new AdmissionService(loadAdmissionConfig({ ADMISSION_TLS_CERT: 'c', ADMISSION_TLS_KEY: 'k', ADMISSION_REQUIRE_ATTESTATION: require_ }), verdicts, null as never, null as never, t.redis, null as never, [REGISTRY], checker);
    const image = `${REGISTRY}/${repository}@${digest}`;
    try {
      expect((await admission('true').assess(image)).state).toBe('clean');
      expect((await admission('true').verdictOf(digest)).allowed).toBe(true);
      // Tampered in Redis: the signature, not the presence, decides.
      const st = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { predicate: { score: number } };
      st.predicate.score = 0;
      await t.redis.set(Keys.attestation(digest), JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(st)).toString('base64') }));
      expect(await admission('true').assess(image)).toMatchObject({ state: 'unattested', reason: expect.stringMatching(/not valid: no signature verifies/) });
      await t.redis.del(Keys.attestation(digest));
      expect(await admission('true').assess(image)).toMatchObject({ state: 'unattested', reason: expect.stringMatching(/no attestation is stored/) });
      expect((await admission('true').verdictOf(digest)).allowed).toBe(false);
      // Signed by a key that is not listed.
      const stranger = new AttestationChecker(t.redis, () => [{ keyid: keyIdOf(old.publicKey), key: old.publicKey, pem: '', current: true }]);
      await t.redis.set(Keys.attestation(digest), JSON.stringify(envelope));
      expect(await stranger.check(digest, { analysisId: id, verdict: 'clean', at })).toMatch(/no signature verifies/);
      expect(await checker.check(digest, { analysisId: randomUUID(), verdict: 'clean', at })).toMatch(/not of .* \(the analysis that holds the verdict\)/);
      expect(await checker.check(digest, { analysisId: id, verdict: 'clean', at }, Date.now() + 3 * 86_400_000)).toMatch(/expired/);
      // Without the option, admission does not look.
      await t.redis.del(Keys.attestation(digest));
      expect((await admission('false').assess(image)).state).toBe('clean');
    } finally {
      sub.disconnect();
    }
  });

  it('the webhook refuses to start with ADMISSION_REQUIRE_ATTESTATION but no attestation key, naming the variable', async () => {
    const config = loadConfig({ REDIS_URL: testRedisUrl(DB), QUARANTINE_ADMIN_KEY: ADMIN_KEY, PROFILES_DIR: t.config.profilesDir, LOG_FORMAT: 'json' });
    const app = await createApiApp(config, { admission: loadAdmissionConfig({ ADMISSION_TLS_CERT: join(dir, 'none.crt'), ADMISSION_TLS_KEY: join(dir, 'none.key'), ADMISSION_REQUIRE_ATTESTATION: 'true' }) });
    app.useLogger(false);
    await expect(app.init()).rejects.toThrow(/ADMISSION_REQUIRE_ATTESTATION needs the attestation public key: set ATTESTATION_KEY/);
    await app.close();
  });
});
