/**
 * Private registries (issue 18) against real registries: two extra instances of Debian's
 * docker-registry started here (test/support/private-registry.ts) — one with htpasswd (bcrypt)
 * auth, one with distribution's token auth and a realm server of the test's own that checks basic
 * credentials and issues ES256 JWTs the registry verifies (the real bearer flow) — holding a copy of
 * the hello sample. Through the worker's DetonationService (real Redis db 26, real Docker pull with
 * the engine's AuthConfig, real strace run): right credentials → the analysis runs; wrong or missing
 * ones → `rejected` with code `registry-auth` naming the registry, no retry, no secret anywhere.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { signatureTag } from '#core/image/cosign';
import { parseImageRef } from '#core/image/image-ref';
import { RegistryClient } from '#core/image/registry-client';
import { ChainedCredentials, type CredentialSource, RegistryCredential, StaticCredentials } from '#core/image/registry-credentials';
import { SupplyChainGate, SupplyChainRejection } from '#core/image/supply-chain';
import { SecretBox } from '#core/secrets/secret-box';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import { REGISTRY, cosignKeyPair, cosignSign, pushImage, registryUp, removeLocalTags, removeTestCopies } from '../../../../test/support/registry.js';
import { type TestRegistry, copyImage, startRegistry } from '../../../../test/support/private-registry.js';
import { TEST_SECRET_KEY } from '../../../../test/support/secret-key.js';
import { parseKey } from '#core/secrets/secret-box';
import { detonationService, detonationWorld } from './detonation.it-support.js';

const world = detonationWorld(26, '2s');
const run = `q-priv-${Date.now().toString(36)}`;
const SECRET = 'S3cret-pass-9f2c1a7e';
const WRONG = 'wrong-password-0000';
let basicReg: TestRegistry;
let tokenReg: TestRegistry;
let digest: string;
const pulled: string[] = [];
/** Everything the Nest loggers wrote during the suite (checked for secrets at the end). */
const logged: string[] = [];
const capture = (...a: unknown[]) => void logged.push(inspect(a, { depth: 8 }));

function creds(entries: Record<string, { user: string; password: string }>): StaticCredentials {
  return new StaticCredentials(new Map(Object.entries(entries).map(([h, c]) => [h, new RegistryCredential(h, { username: c.user, password: c.password }, 'file')])));
}

function record(image: string): AnalysisRecord {
  return {
    id: randomUUID(), image, digest: null, imageId: null, profile: 'e2e', probe: 'strace', runtime: 'runc',
    status: 'queued', phase: 'queued', verdict: null, score: null, findings: [], labels: {}, priority: 5, rulesVersion: null,
    createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, attempts: 0, error: null, submittedBy: 'test',
  } as AnalysisRecord;
}

function harness(credentials: CredentialSource, trusted = [basicReg.host, tokenReg.host]) {
  const runtime = new DockerRuntime({ holdTarPath: join(process.cwd(), 'dist/assets/hold.tar'), trustedRegistries: trusted, registryAuth: async (r) => (await credentials.get(r))?.dockerAuthConfig() });
  return detonationService(world, runtime, null, new SupplyChainGate(trusted, new RegistryClient({ timeoutMs: 5000, credentials })));
}

async function rejection(p: Promise<unknown>): Promise<SupplyChainRejection> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof SupplyChainRejection)) throw new Error(`expected a rejection, got ${e instanceof Error ? e.message : 'success'}`);
  return e;
}

beforeAll(async () => {
  Logger.overrideLogger({ log: capture, error: capture, warn: capture, debug: capture, verbose: capture, fatal: capture });
  if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
  digest = pushImage('quarantine-samples/hello:latest', `${run}/hello`, 'v1');
  [basicReg, tokenReg] = await Promise.all([startRegistry({ htpasswd: { alice: SECRET } }), startRegistry({ token: { users: { alice: SECRET } } })]);
  expect(await copyImage(REGISTRY, `${run}/hello`, 'v1', basicReg, 'team/hello', 'v1', { user: 'alice', password: SECRET })).toBe(digest);
  expect(await copyImage(REGISTRY, `${run}/hello`, 'v1', tokenReg, 'team/hello', 'v1', { user: 'alice', password: SECRET })).toBe(digest);
}, 60_000);

afterAll(async () => {
  for (const p of pulled) {
    try {
      execFileSync('docker', ['image', 'rm', '--no-prune', p], { stdio: 'ignore' });
    } catch {
      /* not pulled */
    }
  }
  removeLocalTags([`${REGISTRY}/${run}/hello:v1`]);
  removeTestCopies();
  await Promise.all([basicReg?.stop(), tokenReg?.stop()]);
});

describe('private registries: the gate and the client', () => {
  it('htpasswd (Basic): right credentials resolve the tag; wrong and missing ones are registry-auth rejections naming the registry, never the secret', async () => {
    const ref = parseImageRef(`${basicReg.host}/team/hello:v1`);
    const ok = await new SupplyChainGate([basicReg.host], new RegistryClient({ credentials: creds({ [basicReg.host]: { user: 'alice', password: SECRET } }) })).check(ref, { allowLocal: true });
    expect(ok).toMatchObject({ digest, resolvedTag: 'v1' });
    const wrong = await rejection(new SupplyChainGate([basicReg.host], new RegistryClient({ credentials: creds({ [basicReg.host]: { user: 'alice', password: WRONG } }) })).check(ref, { allowLocal: true }));
    expect(wrong.code).toBe('registry-auth');
    expect(wrong.message).toContain(`registry ${basicReg.host} refused the configured credentials of user "alice"`);
    expect(wrong.message).not.toContain(WRONG);
    const none = await rejection(new SupplyChainGate([basicReg.host], new RegistryClient()).check(ref, { allowLocal: true }));
    expect(none.code).toBe('registry-auth');
    expect(none.message).toContain(`registry ${basicReg.host} requires authentication`);
  });

  it('token auth (Bearer with credentials at the realm): right credentials resolve and the token is cached per scope; wrong ones are rejected', async () => {
    const client = new RegistryClient({ credentials: creds({ [tokenReg.host]: { user: 'alice', password: SECRET } }) });
    const gate = new SupplyChainGate([tokenReg.host], client);
    expect(await gate.check(parseImageRef(`${tokenReg.host}/team/hello:v1`), { allowLocal: true })).toMatchObject({ digest });
    expect(client.cachedTokens).toBe(1);
    await gate.check(parseImageRef(`${tokenReg.host}/team/hello@${digest}`), { allowLocal: true });
    expect(client.cachedTokens).toBe(1);
    const wrong = await rejection(new SupplyChainGate([tokenReg.host], new RegistryClient({ credentials: creds({ [tokenReg.host]: { user: 'alice', password: WRONG } }) })).check(parseImageRef(`${tokenReg.host}/team/hello:v1`), { allowLocal: true }));
    expect(wrong.code).toBe('registry-auth');
    expect(wrong.message).toContain(`registry ${tokenReg.host} refused the configured credentials of user "alice" (401 from its token realm)`);
    // Anonymous: the realm refuses to issue a token.
    expect((await rejection(new SupplyChainGate([tokenReg.host], new RegistryClient()).check(parseImageRef(`${tokenReg.host}/team/hello:v1`), { allowLocal: true }))).code).toBe('registry-auth');
  });

  it('fetches the cosign signature from the private registry with the same credentials', async () => {
    const key = cosignKeyPair();
    await cosignSign(key, `${run}/hello`, digest, { dockerReference: `${basicReg.host}/team/hello` });
    await copyImage(REGISTRY, `${run}/hello`, signatureTag(digest), basicReg, 'team/hello', signatureTag(digest), { user: 'alice', password: SECRET });
    const gate = new SupplyChainGate([basicReg.host], new RegistryClient({ credentials: creds({ [basicReg.host]: { user: 'alice', password: SECRET } }) }));
    const out = await gate.check(parseImageRef(`${basicReg.host}/team/hello:v1`), { allowLocal: true, signature: { keyFile: 'k.pub', publicKeyPem: key.publicKeyPem } });
    expect(out.signature).toBe('verified');
  });
});

describe('private registries: whole analyses through the DetonationService', () => {
  it('API-stored (encrypted) credentials: the engine pulls with them and the analysis runs', async () => {
    const stored = new RegistryCredentialRepository(world.redis, new SecretBox(parseKey(TEST_SECRET_KEY)));
    await stored.put(basicReg.host, { username: 'alice', password: SECRET }, 'test');
    expect(await world.redis.get(`q:registry-cred:${basicReg.host}`)).not.toContain(SECRET);
    const { svc, repo } = harness(new ChainedCredentials([stored, creds({})]));
    const rec = record(`${basicReg.host}/team/hello:v1`);
    await repo.create(rec);
    pulled.push(`${basicReg.host}/team/hello@${digest}`);
    const out = await svc.run(rec.id);
    expect(out.outcome).toBe('completed');
    const done = await repo.get(rec.id);
    expect(done).toMatchObject({ status: 'completed', verdict: 'clean', digest });
    expect(JSON.stringify(done)).not.toContain(SECRET);
  }, 60_000);

  it('token registry, credentials from an auth file: the engine runs the token flow itself and pulls', async () => {
    const { svc, repo } = harness(creds({ [tokenReg.host]: { user: 'alice', password: SECRET } }));
    const rec = record(`${tokenReg.host}/team/hello:v1`);
    await repo.create(rec);
    pulled.push(`${tokenReg.host}/team/hello@${digest}`);
    expect((await svc.run(rec.id)).outcome).toBe('completed');
    expect(execFileSync('docker', ['image', 'inspect', `${tokenReg.host}/team/hello@${digest}`, '--format', '{{json .RepoDigests}}'], { encoding: 'utf8' })).toContain(digest);
  }, 60_000);

  it('credentials the gate accepts but the pull does not (changed meanwhile): the pull is a registry-auth rejection too, not a retry', async () => {
    const good = creds({ [basicReg.host]: { user: 'alice', password: SECRET } });
    const bad = creds({ [basicReg.host]: { user: 'alice', password: WRONG } });
    const runtime = new DockerRuntime({ holdTarPath: join(process.cwd(), 'dist/assets/hold.tar'), trustedRegistries: [basicReg.host], registryAuth: async (r) => (await bad.get(r))?.dockerAuthConfig() });
    const { svc, repo } = detonationService(world, runtime, null, new SupplyChainGate([basicReg.host], new RegistryClient({ credentials: good })));
    // A repository this engine never pulled from, so the pull has to reach the registry.
    await copyImage(REGISTRY, `${run}/hello`, 'v1', basicReg, 'team/fresh', 'v1', { user: 'alice', password: SECRET });
    const rec = record(`${basicReg.host}/team/fresh:v1`);
    await repo.create(rec);
    pulled.push(`${basicReg.host}/team/fresh@${digest}`);
    expect(await svc.run(rec.id).then(() => undefined, (e: unknown) => e)).toBeInstanceOf(UnrecoverableError);
    const done = await repo.get(rec.id);
    expect(done).toMatchObject({ status: 'rejected', rejection: { code: 'registry-auth' } });
    expect(done!.rejection!.reason).toContain(`registry ${basicReg.host} refused the configured credentials`);
    expect(JSON.stringify(done)).not.toContain(WRONG);
  });

  it('wrong or missing credentials: rejected (registry-auth) at once, naming the registry; no retry; the secret nowhere in record or report', async () => {
    for (const [credentials, expected] of [
      [creds({ [basicReg.host]: { user: 'alice', password: WRONG } }), 'refused the configured credentials'],
      [creds({}), 'requires authentication'],
    ] as const) {
      const { svc, repo, artifacts } = harness(credentials);
      const rec = record(`${basicReg.host}/team/hello:v1`);
      await repo.create(rec);
      const err = await svc.run(rec.id).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnrecoverableError);
      const done = await repo.get(rec.id);
      expect(done).toMatchObject({ status: 'rejected', verdict: null, rejection: { code: 'registry-auth' } });
      expect(done!.rejection!.reason).toContain(`registry ${basicReg.host} ${expected}`);
      const report = JSON.stringify(await artifacts.readJson(rec.id, 'report.json'));
      expect(logged.join('\n')).toContain('image rejected by the supply-chain gate');
      expect(report).toContain('registry-auth');
      for (const text of [JSON.stringify(done), report, logged.join('\n')]) {
        expect(text).not.toContain(WRONG);
        expect(text).not.toContain(SECRET);
      }
    }
  });
});
