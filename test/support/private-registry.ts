import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_ACCEPT } from '#core/image/registry-client';
import { freeLoopbackPort } from './ports.js';

/**
 * Extra instances of Debian's docker-registry (distribution 2.8) started by a test on a free loopback
 * port with its own storage and config under /tmp: with htpasswd auth (bcrypt, `htpasswd -B` from
 * apache2-utils), with token auth (a realm server of the test's own that checks basic credentials
 * and issues ES256 JWTs carrying an x5c certificate the registry trusts: the real token flow), or
 * with notifications to a URL. Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by
 * default, so the engine pulls from them without daemon configuration. Images get there by copying
 * blobs and manifests over the registry API (no `docker login`, which would write ~/.docker/config.json).
 */
export interface TestRegistry {
  host: string;
  port: number;
  dir: string;
  /** The token realm server's URL (token auth only). */
  realm?: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** htpasswd users (user → password). */
  htpasswd?: Record<string, string>;
  /** Token auth: users the realm accepts (user → password); `service` the registry names. */
  token?: { users: Record<string, string>; service?: string };
  /** Distribution notifications to `url`, with a static `Authorization: Bearer <token>` header. */
  notify?: { url: string; token: string };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), 'q-reg-'));
  const host = `127.0.0.1:${port}`;
  let auth = '';
  let realmServer: Server | undefined;
  let realm: string | undefined;
  if (opts.htpasswd) {
    const lines = Object.entries(opts.htpasswd).map(([u, p]) => execFileSync('htpasswd', ['-nbB', '-C', '5', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: quarantine-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  if (opts.token) {
    const service = opts.token.service ?? 'quarantine-test-registry';
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=quarantine-test-token', '-keyout', join(dir, 'token.key'), '-out', join(dir, 'token.crt')], { stdio: 'ignore' });
    const key = createPrivateKey(readFileSync(join(dir, 'token.key')));
    const certDer = Buffer.from(readFileSync(join(dir, 'token.crt'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const users = opts.token.users;
    realmServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
      if (!user || users[user] === undefined || users[user] !== rest.join(':')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="token"' }).end();
        return;
      }
      const scope = url.searchParams.get('scope') ?? '';
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      const now = Math.floor(Date.now() / 1000);
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const head = b64({ typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] });
      const claims = b64({
        iss: 'quarantine-test-issuer', sub: user, aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now,
        jti: createHash('sha256').update(`${now}${Math.random()}`).digest('hex').slice(0, 16),
        access: m ? [{ type: 'repository', name: m[1], actions: m[2].split(',') }] : [],
      });
      const sig = sign('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${head}.${claims}.${sig}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => realmServer!.listen(0, '127.0.0.1', () => r()));
    realm = `http://127.0.0.1:${(realmServer.address() as { port: number }).port}/token`;
    auth = `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: quarantine-test-issuer\n    rootcertbundle: ${join(dir, 'token.crt')}\n`;
  }
  const notifications = opts.notify
    ? `notifications:\n  endpoints:\n    - name: quarantine\n      url: ${opts.notify.url}\n      headers:\n        Authorization: [Bearer ${opts.notify.token}]\n      timeout: 2s\n      threshold: 3\n      backoff: 500ms\n`
    : '';
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}${notifications}`,
  );
  const proc: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://${host}/v2/`).catch(() => null);
    if (r) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  if (!(await fetch(`http://${host}/v2/`).catch(() => null))) {
    proc.kill('SIGKILL');
    throw new Error(`docker-registry on ${host} did not start: ${stderr}`);
  }
  return {
    host,
    port,
    dir,
    realm,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
      await new Promise((r) => (realmServer ? realmServer.close(() => r(undefined)) : r(undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An Authorization header for `to`: Basic directly (htpasswd) or a bearer token from its realm (token auth). */
async function authFor(to: TestRegistry, user: string, password: string, repository: string): Promise<string> {
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  if (!to.realm) return basic;
  const r = await fetch(`${to.realm}?service=quarantine-test-registry&scope=repository:${repository}:pull,push`, { headers: { authorization: basic } });
  if (!r.ok) throw new Error(`token realm: ${r.status}`);
  return `Bearer ${((await r.json()) as { token: string }).token}`;
}

/**
 * Copies `fromHost/fromRepo:ref` (an unauthenticated registry, e.g. the shared one on :5000) to
 * `to/toRepo:tag` over the registry API: config and layer blobs, then the manifest. Returns the
 * manifest digest (the same bytes, so the same digest as the source).
 */
export async function copyImage(fromHost: string, fromRepo: string, ref: string, to: TestRegistry | string, toRepo: string, tag: string, creds?: { user: string; password: string }): Promise<string> {
  const toHost = typeof to === 'string' ? to : to.host;
  const authorization = creds && typeof to !== 'string' ? await authFor(to, creds.user, creds.password, toRepo) : undefined;
  const h = (extra: Record<string, string> = {}) => ({ ...extra, ...(authorization ? { authorization } : {}) });
  const res = await fetch(`http://${fromHost}/v2/${fromRepo}/manifests/${ref}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (!res.ok) throw new Error(`source manifest ${fromRepo}:${ref}: ${res.status}`);
  const mediaType = res.headers.get('content-type')!;
  const body = Buffer.from(await res.arrayBuffer());
  const m = JSON.parse(body.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
    const head = await fetch(`http://${toHost}/v2/${toRepo}/blobs/${d}`, { method: 'HEAD', headers: h() });
    if (head.ok) continue;
    const blob = Buffer.from(await (await fetch(`http://${fromHost}/v2/${fromRepo}/blobs/${d}`)).arrayBuffer());
    const start = await fetch(`http://${toHost}/v2/${toRepo}/blobs/uploads/`, { method: 'POST', headers: h() });
    if (start.status !== 202) throw new Error(`blob upload start on ${toHost}: ${start.status}`);
    const loc = new URL(start.headers.get('location')!, `http://${toHost}`);
    loc.searchParams.set('digest', d);
    const put = await fetch(loc, { method: 'PUT', headers: h({ 'content-type': 'application/octet-stream' }), body: blob });
    if (put.status !== 201) throw new Error(`blob upload on ${toHost}: ${put.status}`);
  }
  const put = await fetch(`http://${toHost}/v2/${toRepo}/manifests/${tag}`, { method: 'PUT', headers: h({ 'content-type': mediaType }), body });
  if (put.status !== 201) throw new Error(`manifest push on ${toHost}: ${put.status} ${await put.text()}`);
  return put.headers.get('docker-content-digest')!;
}

/**
 * Pushes a minimal image (a config blob made from `seed`, no layers) straight to `to`: a distinct
 * manifest digest per seed without Docker, for tests that need pushes but never run the image.
 * The same seed gives the same bytes, so the same digest (a re-tag).
 */
export async function pushTinyImage(to: TestRegistry | string, repository: string, tag: string, seed: string): Promise<string> {
  const host = typeof to === 'string' ? to : to.host;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { seed } }, rootfs: { type: 'layers', diff_ids: [] } }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start on ${host}: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, `http://${host}`);
  loc.searchParams.set('digest', configDigest);
  const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: config });
  if (put.status !== 201) throw new Error(`blob upload on ${host}: ${put.status}`);
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest }, layers: [] });
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' }, body: manifest });
  if (res.status !== 201) throw new Error(`manifest push on ${host}: ${res.status} ${await res.text()}`);
  return res.headers.get('docker-content-digest')!;
}
