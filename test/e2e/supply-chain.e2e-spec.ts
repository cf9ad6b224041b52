import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { fetchAttestations } from '#core/attestations/cosign-attach';
import { VERDICT_PREDICATE_TYPE } from '#core/attestations/statement';
import { RegistryClient } from '#core/image/registry-client';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eProfilesDir } from '../support/profiles.js';
import { cosignKeyPair, cosignSign, pushImage, REGISTRY, registryUp, removeLocalTags, removeTestCopies } from '../support/registry.js';
import { HARBOR_ERROR_MIME, harborBody } from '../support/harbor.js';
import { client, type Stack, startStack, waitFor } from '../support/stack.js';
import { WebhookReceiver, freeLoopbackPort } from '../support/webhook-receiver.js';

// The supply-chain gate through the real API and worker (Redis db 19), the real local registry
// (docker-registry on loopback) and real Docker pulls by digest.
const run = `q-sc-${Date.now().toString(36)}`;
const key = cosignKeyPair();

describe('supply-chain gate: the first step of every analysis', () => {
  let stack: Stack;
  let api: ReturnType<typeof client>;
  let profiles: string;
  let helloDigest: string;
  let signedId: string;
  let sleeperDigest: string;
  const harborToken = 'harbor-e2e-token-0123456789abcdef';
  const pushed: string[] = [];
  let receiver: WebhookReceiver;
  const secret = 'whsec_' + Buffer.from('supply-chain-e2e-secret-0123456789').toString('base64');

  beforeAll(async () => {
    if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
    helloDigest = pushImage('quarantine-samples/hello:latest', `${run}/hello`, 'v1');
    await cosignSign(key, `${run}/hello`, helloDigest);
    sleeperDigest = pushImage('quarantine-samples/sleeper:latest', `${run}/sleeper`, 'v1');
    // Drop the local registry tags: the worker must pull by digest.
    removeLocalTags([`${REGISTRY}/${run}/hello:v1`, `${REGISTRY}/${run}/sleeper:v1`]);
    profiles = e2eProfilesDir('3s');
    writeFileSync(join(profiles, 'cosign.pub'), key.publicKeyPem);
    const base = ['limits:', '  memory: 64m', '  pids: 32', '  window: 3s', 'rules:', `  - ${join(process.cwd(), 'sandbox-profiles/rules/*.yaml')}`];
    writeFileSync(join(profiles, 'signed.yaml'), ['name: signed', ...base, 'supplyChain:', `  registries: ["${REGISTRY}/${run}"]`, '  allowLocal: false', '  signature:', '    publicKey: cosign.pub', ''].join('\n'));
    // Signed verdict attestations (docs/attestations.md): the registry analyses count for admission and are signed.
    writeFileSync(join(profiles, 'attestation.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // Loopback passes the webhooks' SSRF guard only because WEBHOOK_ALLOW_HOSTS allows it here.
    stack = await startStack({ db: 19, env: { PROFILES_DIR: profiles, TRUSTED_REGISTRIES: REGISTRY, WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', ATTESTATION_KEY: join(profiles, 'attestation.pem'), ADMISSION_PROFILES: 'default,signed,e2e', HARBOR_ADAPTER_TOKEN: harborToken, HARBOR_ADAPTER_PROFILE: 'signed', HARBOR_ADAPTER_REFRESH_AFTER: '1' } });
    api = client(stack);
    receiver = new WebhookReceiver(await freeLoopbackPort(), [secret]);
    await receiver.start();
    const sub = await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/failed`, events: ['analysis.failed'], secret });
    expect(sub.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    removeLocalTags([...pushed, `${REGISTRY}/${run}/hello@${helloDigest}`]);
    removeTestCopies();
    if (profiles) rmSync(profiles, { recursive: true, force: true });
  });

  it('a signed tag is resolved to its digest, pulled by digest, verified and analysed', async () => {
    const sub = await api.submit({ image: `${REGISTRY}/${run}/hello:v1`, profile: 'signed' });
    expect(sub.status).toBe(202);
    const done = await api.waitDone(sub.json.id);
    expect(done).toMatchObject({ status: 'completed', verdict: 'clean', digest: helloDigest });
    expect(done.supplyChain).toEqual({ source: 'registry', digest: helloDigest, resolvedTag: 'v1', allowedBy: `${REGISTRY}/${run}`, signature: 'verified' });
    const local = JSON.parse(execFileSync('docker', ['image', 'inspect', done.imageId, '--format', '{{json .RepoDigests}}'], { encoding: 'utf8' })) as string[];
    expect(local).toContain(`${REGISTRY}/${run}/hello@${helloDigest}`);
    pushed.push(`${REGISTRY}/${run}/hello@${helloDigest}`);
    signedId = sub.json.id;
  }, 60_000);

  it('that analysis signed its verdict: the attestation is attached to the image (.att) and served by the API, and verifies independently', async () => {
    let rec: { attestation?: { status: string; signedAt?: string; registry?: { tag: string } } } = {};
    await waitFor(async () => {
      rec = (await api.call('GET', `/v1/analyses/${signedId}`)).json as typeof rec;
      return rec.attestation !== undefined;
    }, 15_000, () => `no attestation recorded: ${JSON.stringify(rec)}`);
    expect(rec.attestation).toMatchObject({ status: 'attached', registry: { tag: `${helloDigest.replace(':', '-')}.att` } });
    const served = await api.call('GET', `/v1/analyses/${signedId}/attestation`);
    expect(served.status).toBe(200);
    const attached = await fetchAttestations(new RegistryClient(), { registry: REGISTRY, repository: `${run}/hello`, digest: helloDigest }, VERDICT_PREDICATE_TYPE);
    expect(attached.map((b) => JSON.parse(b.toString()) as unknown)).toEqual([served.json]);
    const pem = await fetch(`${stack.base}/v1/attestations/public-key`).then((r) => r.text());
    writeFileSync(join(profiles, 'served.pub'), pem);
    writeFileSync(join(profiles, 'envelope.json'), attached[0]);
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['test/support/verify_dsse.py', join(profiles, 'envelope.json'), join(profiles, 'served.pub'), helloDigest]);
    expect(JSON.parse(stdout)).toEqual({ ok: true, verdict: 'clean', subject: `${REGISTRY}/${run}/hello`, analysis: signedId });

    // A rescore signs anew and replaces the attached attestation (one layer of our predicate type on the tag).
    const signedAt = rec.attestation?.signedAt;
    expect((await api.call('POST', `/v1/analyses/${signedId}/rescore`)).status).toBe(202);
    await waitFor(async () => {
      rec = (await api.call('GET', `/v1/analyses/${signedId}`)).json as typeof rec;
      return rec.attestation?.signedAt !== signedAt;
    }, 15_000, () => `attestation not re-signed: ${JSON.stringify(rec)}`);
    const after = await fetchAttestations(new RegistryClient(), { registry: REGISTRY, repository: `${run}/hello`, digest: helloDigest }, VERDICT_PREDICATE_TYPE);
    expect(after).toHaveLength(1);
    const statement = JSON.parse(Buffer.from((JSON.parse(after[0].toString()) as { payload: string }).payload, 'base64').toString()) as { predicate: { analysis: { rescoredAt: string | null } } };
    expect(statement.predicate.analysis.rescoredAt).not.toBeNull();
  }, 30_000);

  it('a local-only image (no registry) is analysed as before where the profile allows it', async () => {
    const sub = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'e2e' });
    const done = await api.waitDone(sub.json.id);
    expect(done).toMatchObject({ status: 'completed', verdict: 'clean', supplyChain: { source: 'local', signature: 'not-required' } });
    expect(done.digest).toBe(done.imageId);
    // Counts for admission here, but a local-only image has no registry digest: no attestation, and the API says why.
    await waitFor(async () => ((await api.call('GET', `/v1/analyses/${sub.json.id}`)).json as { attestation?: unknown }).attestation !== undefined, 15_000);
    const att = await api.call('GET', `/v1/analyses/${sub.json.id}/attestation`);
    expect([att.status, (att.json as { message: string }).message]).toEqual([409, expect.stringMatching(/local-only image/)]);
  }, 60_000);

  it('an unsigned image ends rejected with the reason; nothing ran and nothing was retried', async () => {
    const sub = await api.submit({ image: `${REGISTRY}/${run}/sleeper:v1`, profile: 'signed' });
    const done = await api.waitDone(sub.json.id, 30_000);
    expect(done).toMatchObject({ status: 'rejected', verdict: null, imageId: null, attempts: 1, rejection: { code: 'unsigned' } });
    expect(done.error).toContain('no signature');
    const report = await api.call('GET', `/v1/analyses/${sub.json.id}/report`);
    expect(report.json).toMatchObject({ status: 'rejected', rejection: { code: 'unsigned' } });
    expect(report.json.probe).toBeUndefined();
    const listed = await api.call('GET', '/v1/analyses?status=rejected');
    expect(listed.json.items.map((x: { id: string }) => x.id)).toContain(sub.json.id);
    expect((await api.call('DELETE', `/v1/analyses/${sub.json.id}`)).status).toBe(409);
    // Subscribers hear about it: analysis.failed with status rejected and the reason, signed.
    await waitFor(() => receiver.at('/failed').some((r) => r.json?.data?.analysisId === sub.json.id), 15_000);
    const hook = receiver.at('/failed').find((r) => r.json?.data?.analysisId === sub.json.id)!;
    expect(hook.verifiedBy).toEqual([0]);
    expect(hook.json).toMatchObject({ type: 'analysis.failed', data: { status: 'rejected', verdict: null } });
    expect(hook.json.data.error).toContain('no signature');
  }, 60_000);

  it('an unknown registry and a local-only image (where the profile forbids them) are rejected before any pull', async () => {
    const foreign = await api.submit({ image: 'registry.example.com/team/app:1', profile: 'e2e' });
    const f = await api.waitDone(foreign.json.id, 30_000);
    expect(f).toMatchObject({ status: 'rejected', rejection: { code: 'untrusted-registry' } });
    expect(f.error).toContain('registry.example.com is not in TRUSTED_REGISTRIES');
    const localOnly = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'signed' });
    expect(await api.waitDone(localOnly.json.id, 30_000)).toMatchObject({ status: 'rejected', rejection: { code: 'local-not-allowed' } });
  }, 60_000);

  // Harbor's scanner adapter through the real API and worker and the real local registry, the way a
  // Harbor would call it (Harbor itself cannot run here): each answer checked against the spec's schemas.
  it('Harbor adapter: a scan request becomes a gated analysis, polled (302 Refresh-After) to a report; an unsigned image is the spec’s 500 with the reason', async () => {
    const harbor = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.base}/api/v1${path}`, { method, redirect: 'manual', headers: { authorization: `Bearer ${harborToken}`, accept: 'application/vnd.security.vulnerability.report; version=1.1', ...(body ? { 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.1' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const scan = async (repository: string, digest: string) => {
      const res = await harbor('POST', '/scan', { registry: { url: `http://${REGISTRY}`, authorization: 'Basic cm9ib3Q6c2VjcmV0' }, artifact: { repository, digest, tag: 'v1', mime_type: 'application/vnd.docker.distribution.manifest.v2+json' } });
      expect(res.status).toBe(202);
      return harborBody('ScanResponse', await res.text()).id as string;
    };
    const report = async (id: string) => {
      let res: Response;
      let polls = 0;
      for (;;) {
        res = await harbor('GET', `/scan/${id}/report`);
        if (res.status !== 302) break;
        expect(res.headers.get('refresh-after')).toBe('1');
        polls++;
        await new Promise((r) => setTimeout(r, 250));
      }
      return { res, text: await res.text(), polls };
    };
    const hello = await scan(`${run}/hello`, helloDigest);
    const sleeper = await scan(`${run}/sleeper`, sleeperDigest);
    const ok = await report(hello);
    expect(ok.res.status).toBe(200);
    expect(ok.polls).toBeGreaterThan(0);
    const body = harborBody('HarborVulnerabilityReport', ok.text);
    expect(body).toMatchObject({ artifact: { repository: `${run}/hello`, digest: helloDigest, tag: 'v1' }, scanner: { name: 'Quarantine' } });
    // A clean run reports nothing Harbor would block on: only the static checks' informational findings (runs as root, no HEALTHCHECK), capped at Negligible.
    expect(new Set(body.vulnerabilities.map((v: { severity: string }) => v.severity))).toEqual(new Set(['Negligible']));
    expect(body.vulnerabilities.map((v: { id: string }) => v.id)).toContain('Image Runs as Root (CIS 4.1)');
    expect((await api.get(hello)).json).toMatchObject({ status: 'completed', verdict: 'clean', profile: 'signed', supplyChain: { signature: 'verified', digest: helloDigest } });
    const bad = await report(sleeper);
    expect(bad.res.status).toBe(500);
    expect(bad.res.headers.get('content-type')).toMatch(HARBOR_ERROR_MIME);
    expect(harborBody('ErrorResponse', bad.text).error.message).toMatch(/rejected: .*no signature/);
  }, 60_000);
});
