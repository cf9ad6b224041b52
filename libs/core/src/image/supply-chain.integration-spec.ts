import { type Server, createServer } from 'node:http';
import { cosignKeyPair, cosignSign, pushImage, REGISTRY, registryUp, removeLocalTags, removeTestCopies } from '../../../../test/support/registry.js';
import { parseImageRef } from './image-ref.js';
import { MEDIA_TYPES, RegistryClient, RegistryError } from './registry-client.js';
import { SupplyChainGate, SupplyChainNotFound, SupplyChainRejection, matchesRegistryPrefix } from './supply-chain.js';

// Real registry: Debian's docker-registry on 127.0.0.1:5000 (scripts/host-deps.sh), images pushed
// with the real Docker CLI, signatures in cosign's layout made with node:crypto.
const run = `q-it-${Date.now().toString(36)}`;
const repo = `${run}/hello`;
const key = cosignKeyPair();
const otherKey = cosignKeyPair();
const gate = new SupplyChainGate([REGISTRY], new RegistryClient({ timeoutMs: 3000 }));
const signed = { allowLocal: true, signature: { keyFile: 'test.pub', publicKeyPem: key.publicKeyPem } };
const pushed: string[] = [];
let helloDigest: string;
let sleeperDigest: string;

async function rejection(p: Promise<unknown>): Promise<SupplyChainRejection> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof SupplyChainRejection)) throw new Error(`expected a rejection, got ${e instanceof Error ? e.message : 'success'}`);
  return e;
}

beforeAll(async () => {
  if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
  helloDigest = pushImage('quarantine-samples/hello:latest', repo, 'v1');
  sleeperDigest = pushImage('quarantine-samples/sleeper:latest', `${run}/sleeper`, 'v1');
  pushed.push(`${REGISTRY}/${repo}:v1`, `${REGISTRY}/${run}/sleeper:v1`);
}, 60_000);

afterAll(() => {
  removeLocalTags(pushed);
  removeTestCopies();
});

describe('supply-chain gate against a real registry', () => {
  it('resolves a tag to the digest the registry serves and pins the reference to it', async () => {
    const out = await gate.check(parseImageRef(`${REGISTRY}/${repo}:v1`), { allowLocal: true });
    expect(out).toMatchObject({ source: 'registry', digest: helloDigest, resolvedTag: 'v1', signature: 'not-required' });
    expect(out.ref.raw).toBe(`${REGISTRY}/${repo}@${helloDigest}`);
    expect(out.ref.tag).toBeUndefined();
  });

  it('resolves an OCI index tag to the index digest (Accept headers for index, list and manifests)', async () => {
    const manifest = await new RegistryClient().manifest(REGISTRY, repo, helloDigest);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ mediaType: manifest.mediaType, digest: helloDigest, size: manifest.body.length, platform: { architecture: 'amd64', os: 'linux' } }],
    });
    const put = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/multi`, { method: 'PUT', headers: { 'content-type': MEDIA_TYPES.ociIndex }, body: index });
    expect(put.status).toBe(201);
    const out = await gate.check(parseImageRef(`${REGISTRY}/${repo}:multi`), { allowLocal: true });
    expect(out.digest).toBe(put.headers.get('docker-content-digest'));
    expect(out.digest).not.toBe(helloDigest);
  });

  it('rejects a registry that is not trusted, and one outside the profile allow-list', async () => {
    const e1 = await rejection(gate.check(parseImageRef('registry.example.com/team/app:1'), { allowLocal: true }));
    expect(e1.code).toBe('untrusted-registry');
    expect(e1.message).toContain('registry.example.com');
    const e2 = await rejection(gate.check(parseImageRef(`${REGISTRY}/${repo}:v1`), { allowLocal: true, registries: [`${REGISTRY}/other-team`] }));
    expect(e2.code).toBe('untrusted-registry');
    const ok = await gate.check(parseImageRef(`${REGISTRY}/${repo}:v1`), { allowLocal: true, registries: [`${REGISTRY}/${run}`] });
    expect(ok.allowedBy).toBe(`${REGISTRY}/${run}`);
  });

  it('keeps local-only images working where the profile allows it', async () => {
    const ref = parseImageRef('quarantine-samples/hello:latest');
    expect(await gate.check(ref, { allowLocal: true })).toMatchObject({ source: 'local', ref, signature: 'not-required' });
    expect((await rejection(gate.check(ref, { allowLocal: false }))).code).toBe('local-not-allowed');
    expect((await rejection(gate.check(ref, signed))).code).toBe('unsigned');
  });

  it('a missing tag is not found (failed, not rejected); an unreachable registry is retryable', async () => {
    await expect(gate.check(parseImageRef(`${REGISTRY}/${repo}:nope`), { allowLocal: true })).rejects.toBeInstanceOf(SupplyChainNotFound);
    const down = new SupplyChainGate(['127.0.0.1:1'], new RegistryClient({ timeoutMs: 1000 }));
    await expect(down.check(parseImageRef('127.0.0.1:1/x/y:1'), { allowLocal: true })).rejects.toBeInstanceOf(RegistryError);
  });

  it('verifies a cosign signature made with the profile key', async () => {
    await cosignSign(key, repo, helloDigest);
    const out = await gate.check(parseImageRef(`${REGISTRY}/${repo}:v1`), signed);
    expect(out).toMatchObject({ digest: helloDigest, signature: 'verified' });
  });

  it('rejects unsigned images and signatures by another key', async () => {
    const unsigned = await rejection(gate.check(parseImageRef(`${REGISTRY}/${run}/sleeper:v1`), signed));
    expect(unsigned.code).toBe('unsigned');
    expect(unsigned.message).toContain(`sha256-${sleeperDigest.slice(7)}.sig`);
    await cosignSign(otherKey, `${run}/sleeper`, sleeperDigest);
    const wrong = await rejection(gate.check(parseImageRef(`${REGISTRY}/${run}/sleeper:v1`), signed));
    expect(wrong.code).toBe('invalid-signature');
    expect(wrong.message).toContain("does not verify with the profile's public key");
  });

  it('rejects a payload naming another digest, a payload changed after signing, and another repository', async () => {
    const r = `${run}/tamper`;
    const d = pushImage('quarantine-samples/sleeper:latest', r, 'v1');
    pushed.push(`${REGISTRY}/${r}:v1`);
    await cosignSign(key, r, d, { payloadDigest: helloDigest });
    const e1 = await rejection(gate.check(parseImageRef(`${REGISTRY}/${r}:v1`), signed));
    expect(e1.code).toBe('invalid-signature');
    expect(e1.message).toContain(`payload signs digest ${helloDigest}`);
    await cosignSign(key, r, d, { tamperPayloadAfterSigning: true });
    expect((await rejection(gate.check(parseImageRef(`${REGISTRY}/${r}:v1`), signed))).message).toContain('does not verify');
    await cosignSign(key, r, d, { dockerReference: `${REGISTRY}/someone/else` });
    expect((await rejection(gate.check(parseImageRef(`${REGISTRY}/${r}:v1`), signed))).message).toContain('payload names');
  });

  it('a tag re-pushed after signing points at an unsigned digest: rejected; retagging the signed digest passes', async () => {
    const r = `${run}/retag`;
    const d1 = pushImage('quarantine-samples/hello:latest', r, 'prod');
    await cosignSign(key, r, d1);
    expect((await gate.check(parseImageRef(`${REGISTRY}/${r}:prod`), signed)).digest).toBe(d1);
    const d2 = pushImage('quarantine-samples/revshell:latest', r, 'prod');
    pushed.push(`${REGISTRY}/${r}:prod`);
    expect(d2).not.toBe(d1);
    const e = await rejection(gate.check(parseImageRef(`${REGISTRY}/${r}:prod`), signed));
    expect(e.code).toBe('unsigned');
    expect(e.message).toContain(d2);
    // The signature follows the digest, not the tag: the old digest pinned directly still verifies,
    // and a new tag on the signed content verifies too.
    expect((await gate.check(parseImageRef(`${REGISTRY}/${r}@${d1}`), signed)).signature).toBe('verified');
    expect(pushImage('quarantine-samples/hello:latest', r, 'stable')).toBe(d1);
    pushed.push(`${REGISTRY}/${r}:stable`);
    expect((await gate.check(parseImageRef(`${REGISTRY}/${r}:stable`), signed)).digest).toBe(d1);
  });
});

describe('registries behind bearer-token auth (the token flow of Docker Hub, GHCR, distribution)', () => {
  // A loopback proxy in front of the real registry that demands `Authorization: Bearer` and hands out
  // anonymous pull tokens at its realm, as a token-auth registry does.
  let server: Server;
  let host: string;
  const tokenRequests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ token: `tok:${url.searchParams.get('scope')}`, expires_in: 300 }));
      }
      const repoName = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1];
      if (req.headers.authorization !== `Bearer tok:repository:${repoName}:pull`) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${repoName}:pull"` });
        return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      }
      void fetch(`http://${REGISTRY}${req.url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? '*/*') } }).then(async (up) => {
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'docker-content-digest', 'content-length']) if (up.headers.get(h)) headers[h] = up.headers.get(h)!;
        res.writeHead(up.status, headers);
        res.end(req.method === 'HEAD' ? undefined : Buffer.from(await up.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('gets an anonymous pull token from the realm, then resolves and verifies through it', async () => {
    const r = `${run}/authed`;
    const d = pushImage('quarantine-samples/hello:latest', r, 'v1');
    await cosignSign(key, r, d, { dockerReference: `${host}/${r}` });
    expect((await fetch(`http://${host}/v2/${r}/manifests/v1`)).status).toBe(401);
    const authed = new SupplyChainGate([host], new RegistryClient({ timeoutMs: 3000 }));
    const out = await authed.check(parseImageRef(`${host}/${r}:v1`), signed);
    expect(out).toMatchObject({ digest: d, signature: 'verified' });
    expect(tokenRequests).toContain(`test-registry repository:${r}:pull`);
    // Tokens are cached per scope: a second check asks for none.
    const before = tokenRequests.length;
    await authed.check(parseImageRef(`${host}/${r}:v1`), signed);
    expect(tokenRequests.length).toBe(before);
  });
});

describe('matchesRegistryPrefix', () => {
  it('matches whole host and path components only', () => {
    expect(matchesRegistryPrefix('reg:5000', 'team/app', 'reg:5000')).toBe(true);
    expect(matchesRegistryPrefix('reg:5000', 'team/app', 'reg:5000/team')).toBe(true);
    expect(matchesRegistryPrefix('reg:5000', 'teams/app', 'reg:5000/team')).toBe(false);
    expect(matchesRegistryPrefix('reg:5001', 'team/app', 'reg:5000/team')).toBe(false);
    expect(matchesRegistryPrefix('reg:5000', 'team', 'reg:5000/team')).toBe(true);
  });
});
