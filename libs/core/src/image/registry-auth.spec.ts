import { type IncomingMessage, type Server, createServer } from 'node:http';
import { MAX_CACHED_TOKENS, RegistryAuthError, RegistryClient, RegistryError, sha256Digest } from './registry-client.js';
import { RegistryCredential, StaticCredentials } from './registry-credentials.js';

/**
 * The registry client's authentication against a registry and realm of the test's own (in-process
 * HTTP on loopback): what is sent where, and when it gives up. The real registries (htpasswd and
 * distribution's token auth) are in apps/worker/src/detonation/private-registry.integration-spec.ts.
 */
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const DIGEST = sha256Digest(MANIFEST);
let server: Server;
let host: string;
let mode: 'bearer' | 'basic' | 'forbidden' = 'bearer';
const seen: { path: string; method: string; authorization?: string; body?: string }[] = [];

function creds(c: ConstructorParameters<typeof RegistryCredential>[1]): StaticCredentials {
  return new StaticCredentials(new Map([[host, new RegistryCredential(host, c, 'file')]]));
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      seen.push({ path: url.pathname + url.search, method: req.method!, authorization: req.headers.authorization, body });
      if (url.pathname === '/token') {
        const form = new URLSearchParams(body);
        const ok = req.headers.authorization === `Basic ${Buffer.from('alice:pw').toString('base64')}` || form.get('refresh_token') === 'refresh-1';
        if (!ok) return res.writeHead(401).end();
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok-${url.searchParams.get('scope') ?? form.get('scope')}`, expires_in: 300 }));
      }
      if (mode === 'forbidden') return res.writeHead(403).end();
      const repo = /^\/v2\/(.+)\/manifests\//.exec(url.pathname)?.[1];
      const authorized = mode === 'basic' ? req.headers.authorization === `Basic ${Buffer.from('alice:pw').toString('base64')}` : req.headers.authorization === `Bearer tok-repository:${repo}:pull`;
      if (!authorized) {
        const challenge = mode === 'basic' ? 'Basic realm="r"' : `Bearer realm="http://${host}/token",service="reg",scope="repository:${repo}:pull"`;
        return res.writeHead(401, { 'www-authenticate': challenge }).end();
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': DIGEST }).end(req.method === 'HEAD' ? undefined : MANIFEST);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  seen.length = 0;
  mode = 'bearer';
});

describe('registry client authentication', () => {
  it('bearer: basic credentials go to the realm only, the token to the registry; cached per scope', async () => {
    const client = new RegistryClient({ credentials: creds({ username: 'alice', password: 'pw' }) });
    expect((await client.resolve(host, 'team/app', 'v1')).digest).toBe(DIGEST);
    expect((await client.manifest(host, 'team/app', DIGEST)).digest).toBe(DIGEST);
    expect(seen.map((s) => `${s.method} ${s.path.replace(/\?.*/, '')} ${s.authorization?.split(' ')[0] ?? '-'}`)).toEqual([
      'HEAD /v2/team/app/manifests/v1 -', 'GET /token Basic', 'HEAD /v2/team/app/manifests/v1 Bearer', `GET /v2/team/app/manifests/${encodeURIComponent(DIGEST)} Bearer`,
    ]);
    expect(seen[1].path).toContain('account=alice');
  });

  it('an identity token is exchanged with a refresh_token POST at the realm', async () => {
    const client = new RegistryClient({ credentials: creds({ identityToken: 'refresh-1' }) });
    expect((await client.resolve(host, 'team/app', 'v1')).digest).toBe(DIGEST);
    const tokenReq = seen.find((s) => s.path.startsWith('/token'))!;
    expect(tokenReq.method).toBe('POST');
    expect(new URLSearchParams(tokenReq.body).get('grant_type')).toBe('refresh_token');
    expect(tokenReq.authorization).toBeUndefined();
  });

  it('basic: answers a Basic challenge with the credentials, then sends them up front', async () => {
    mode = 'basic';
    const client = new RegistryClient({ credentials: creds({ username: 'alice', password: 'pw' }) });
    await client.resolve(host, 'a/b', 'v1');
    await client.resolve(host, 'a/b', 'v1');
    expect(seen.map((s) => s.authorization?.split(' ')[0] ?? '-')).toEqual(['-', 'Basic', 'Basic']);
  });

  it('wrong, missing and refused credentials are RegistryAuthError naming the registry, never the secret', async () => {
    for (const [c, m] of [[creds({ username: 'alice', password: 'wrong-pw-123' }), /refused the configured credentials of user "alice" \(401 from its token realm\)/], [undefined, /requires authentication/]] as const) {
      const e = await new RegistryClient({ credentials: c }).resolve(host, 'a/b', 'v1').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RegistryAuthError);
      expect((e as Error).message).toMatch(m);
      expect((e as Error).message).toContain(host);
      expect((e as Error).message).not.toContain('wrong-pw-123');
    }
    mode = 'forbidden';
    const e = await new RegistryClient({ credentials: creds({ username: 'alice', password: 'pw' }) }).resolve(host, 'a/b', 'v1').catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'RegistryAuthError', status: 403 });
  });

  it('keeps at most maxCachedTokens tokens (default MAX_CACHED_TOKENS)', async () => {
    expect(MAX_CACHED_TOKENS).toBe(512);
    const client = new RegistryClient({ credentials: creds({ username: 'alice', password: 'pw' }), maxCachedTokens: 16 });
    for (let i = 0; i < 40; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => client.resolve(host, `r/n${i + j}`, 'v1')));
    expect(client.cachedTokens).toBe(16);
  });

  it('a blob redirected to another origin (object storage) gets no credentials', async () => {
    const blob = Buffer.from('layer bytes');
    let storageAuth: string | undefined = 'unset';
    const storage = createServer((req, res) => {
      storageAuth = req.headers.authorization;
      res.end(blob);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', () => r()));
    const reg = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`) return res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      res.writeHead(307, { location: `http://127.0.0.1:${(storage.address() as { port: number }).port}/blob` }).end();
    });
    await new Promise<void>((r) => reg.listen(0, '127.0.0.1', () => r()));
    const h = `127.0.0.1:${(reg.address() as { port: number }).port}`;
    const client = new RegistryClient({ credentials: new StaticCredentials(new Map([[h, new RegistryCredential(h, { username: 'alice', password: 'pw' }, 'file')]])) });
    expect(await client.blob(h, 'a/b', sha256Digest(blob))).toEqual(blob);
    await Promise.all([new Promise((r) => storage.close(r)), new Promise((r) => reg.close(r))]);
    expect(storageAuth).toBeUndefined();
  });

  it('never sends credentials to a plain-HTTP realm off loopback', async () => {
    const off = createServer((req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="s"' }).end());
    await new Promise<void>((r) => off.listen(0, '127.0.0.1', () => r()));
    const h = `127.0.0.1:${(off.address() as { port: number }).port}`;
    const client = new RegistryClient({ credentials: new StaticCredentials(new Map([[h, new RegistryCredential(h, { username: 'u', password: 'p' }, 'file')]])) });
    const e = await client.resolve(h, 'a/b', 'v1').catch((x: unknown) => x);
    await new Promise((r) => off.close(r));
    expect(e).toBeInstanceOf(RegistryError);
    expect((e as Error).message).toMatch(/token realm http:\/\/auth\.example\.com\/token is not HTTPS/);
  });
});
