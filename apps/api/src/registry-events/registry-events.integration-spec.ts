/**
 * Registry push triggers (issue 18) through the real Nest app (real Redis db 7, real BullMQ queue,
 * no worker: analyses stay queued, which is all this needs). A real Debian docker-registry started
 * here is configured to notify the API (notifications endpoint with a static Authorization header);
 * pushes go to it over the registry API. Harbor cannot run here: its webhook is a fixture written
 * from Harbor's documentation (__fixtures__/README.md).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { signatureTag } from '#core/image/cosign';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { type TestRegistry, copyImage, pushTinyImage, startRegistry } from '../../../../test/support/private-registry.js';
import { REGISTRY, cosignKeyPair, cosignSign, registryUp } from '../../../../test/support/registry.js';

const TOKEN = 'registry-events-token-5b1e0c';
const HMAC = 'registry-events-hmac-key-77aa';
const run = `q-evt-${Date.now().toString(36)}`;
const harbor = JSON.parse(readFileSync(fileURLToPath(new URL('./__fixtures__/harbor-push-artifact.json', import.meta.url)), 'utf8')) as Record<string, unknown>;
let t: ApiApp;
let listener: Server;
let reg: TestRegistry;
const seed = `${run}-${Math.random()}`;

async function analysesOf(image: string): Promise<string[]> {
  const page = await new AnalysisRepository(t.redis).list({}, 200);
  return page.items.filter((a) => a.image === image).map((a) => a.id);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  let req = t.http.post('/v1/registry-events').set('content-type', 'application/vnd.docker.distribution.events.v1+json');
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}

function pushEvent(over: { action?: string; mediaType?: string; repository?: string; digest?: string; tag?: string; host?: string } = {}) {
  return {
    id: 'e1', timestamp: new Date().toISOString(), action: over.action ?? 'push',
    target: { mediaType: over.mediaType ?? 'application/vnd.docker.distribution.manifest.v2+json', size: 528, digest: over.digest ?? `sha256:${'a'.repeat(64)}`, repository: over.repository ?? 'team/manual', url: 'http://x/v2/team/manual/manifests/sha256:aa', ...(over.tag !== '' ? { tag: over.tag ?? 'v1' } : {}) },
    request: { id: 'r1', addr: '127.0.0.1:5555', host: over.host ?? reg.host, method: 'PUT', useragent: 'test' },
    actor: {}, source: { addr: 'x', instanceID: 'y' },
  };
}

beforeAll(async () => {
  if (!(await registryUp())) throw new Error(`no registry on ${REGISTRY}: run scripts/host-deps.sh`);
  // The API listens first (the registry's config needs its URL); the registry's host is trusted once known.
  let app: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  listener = createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  const apiPort = (listener.address() as { port: number }).port;
  reg = await startRegistry({ notify: { url: `http://127.0.0.1:${apiPort}/v1/registry-events`, token: TOKEN } });
  t = await startApiApp({
    db: 7,
    env: {
      TRUSTED_REGISTRIES: `${reg.host},harbor.example.com`,
      REGISTRY_EVENTS_TOKEN: TOKEN,
      REGISTRY_EVENTS_HMAC_SECRET: HMAC,
      REGISTRY_EVENTS_REPOSITORIES: `${reg.host}/team/**,harbor.example.com/library/*`,
      REGISTRY_EVENTS_MAX_EVENTS: '5',
    },
  });
  app = t.app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  await new Promise((r) => listener?.close(() => r(undefined)));
  await t?.close();
});

describe('registry push triggers with a real registry notifying the API', () => {
  it('a push queues one analysis of the pushed digest; the same digest under another tag, its signature and a filtered repository queue none', async () => {
    // Images pushed straight to the registry over its API (nothing here runs them): a distinct digest per seed.
    const digest = await pushTinyImage(reg, 'team/app', 'v1', `${seed}-app`);
    const image = `${reg.host}/team/app@${digest}`;
    const [first] = await until('the analysis of the push', async () => {
      const ids = await analysesOf(image);
      return ids.length > 0 && ids;
    });
    const rec = await new AnalysisRepository(t.redis).get(first);
    expect(rec).toMatchObject({ status: 'queued', profile: 'default', owner: 'system:registry-events', labels: { 'registry-event': 'distribution', 'registry-event.tag': 'v1' } });
    expect(rec!.submittedBy).toBe('registry push trigger');
    // Same digest, another tag; a cosign signature of it; a repository outside REGISTRY_EVENTS_REPOSITORIES.
    expect(await pushTinyImage(reg, 'team/app', 'v2', `${seed}-app`)).toBe(digest);
    await cosignSign(cosignKeyPair(), `${run}/app`, digest);
    await copyImage(REGISTRY, `${run}/app`, signatureTag(digest), reg, 'team/app', signatureTag(digest));
    const other = await pushTinyImage(reg, 'elsewhere/app', 'v1', `${seed}-other`);
    // A barrier: the registry delivers to one endpoint in order, so once this push's analysis exists, the ones above were handled.
    const barrier = await pushTinyImage(reg, 'team/barrier', 'v1', `${seed}-barrier`);
    await until('the barrier analysis', async () => (await analysesOf(`${reg.host}/team/barrier@${barrier}`)).length > 0);
    expect(await analysesOf(image)).toEqual([first]);
    expect(await analysesOf(`${reg.host}/elsewhere/app@${other}`)).toEqual([]);
    const all = await new AnalysisRepository(t.redis).list({}, 200);
    expect(all.items.filter((a) => a.image.includes('.sig') || a.image.includes('sha256-'))).toEqual([]);
    expect(await t.redis.get(`q:registry-event:${reg.host}/team/app@${digest}`)).toBe(first);
  }, 45_000);
});

describe('POST /v1/registry-events (in-process)', () => {
  it('answers 202 with what was queued, deduplicated and ignored, and why, per event', async () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const res = await post({
      events: [
        pushEvent({ digest, tag: 'v1' }),
        pushEvent({ digest, tag: 'v2' }),
        pushEvent({ action: 'pull', digest }),
        pushEvent({ mediaType: 'application/octet-stream', digest: `sha256:${'c'.repeat(64)}`, tag: '' }),
        pushEvent({ host: 'untrusted.example.com', digest }),
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ source: 'distribution', received: 5, queued: 1, duplicates: 1, ignored: 3 });
    const [q, d, pull, blob, untrusted] = res.body.events;
    expect(q).toMatchObject({ outcome: 'queued', image: `${reg.host}/team/manual@${digest}`, tag: 'v1' });
    expect(d).toMatchObject({ outcome: 'duplicate', analysisId: q.analysisId, tag: 'v2' });
    expect(pull.reason).toMatch(/not a push/);
    expect(blob.reason).toMatch(/not an image manifest/);
    expect(untrusted.reason).toMatch(/untrusted\.example\.com is not in TRUSTED_REGISTRIES/);
    // The queued analysis exists, as the API shows it.
    const shown = await t.http.get(`/v1/analyses/${q.analysisId}`).set('authorization', `Bearer ${ADMIN_KEY}`);
    expect(shown.body).toMatchObject({ image: `${reg.host}/team/manual@${digest}`, status: 'queued' });
  });

  it('a Harbor PUSH_ARTIFACT webhook (fixture from Harbor docs) queues the artifact once; other Harbor event types are ignored', async () => {
    const res = await post(harbor);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ source: 'harbor', queued: 1, events: [{ outcome: 'queued', image: 'harbor.example.com/library/payments@sha256:2d9d4f5fa1a3b6b8e8b6f0b0c9a1e4c4a4a0d1f9f2f4a1e0d6c5b4a3f2e1d0c9', tag: '1.4.2' }] });
    expect((await post(harbor)).body).toMatchObject({ queued: 0, duplicates: 1 });
    expect((await post({ ...harbor, type: 'PULL_ARTIFACT' })).body).toMatchObject({ queued: 0, ignored: 1, events: [{ reason: 'event type PULL_ARTIFACT is not PUSH_ARTIFACT' }] });
  });

  it('authenticates: the bearer token or an HMAC of the exact body; anything else is a 401 with the stable body', async () => {
    const body = JSON.stringify({ events: [pushEvent({ action: 'pull' })] });
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0000000000' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { 'x-quarantine-signature': `sha256=${createHmac('sha256', HMAC).update(`${body} `).digest('hex')}` }] as Record<string, string>[]) {
      const res = await post(body, headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthorized', details: [{ field: 'authorization' }] });
    }
    expect((await post(body, { 'x-quarantine-signature': `sha256=${createHmac('sha256', HMAC).update(body).digest('hex')}` })).status).toBe(202);
  });

  it('bad events are 4xx naming the field; too many events and oversized bodies (MAX_BODY_BYTES) are refused', async () => {
    const cases: [unknown, string][] = [
      [{ events: 'x' }, 'events'],
      [{ nothing: true }, 'body'],
      [{ events: [pushEvent({ digest: 'sha256:zz' })] }, 'events[0].target.digest'],
      [{ events: [pushEvent({ repository: 'Team/UPPER' })] }, 'events[0].target.repository'],
      [{ events: [pushEvent({ host: 'http://evil/' })] }, 'events[0].request.host'],
      [{ events: [pushEvent(), pushEvent(), pushEvent(), pushEvent(), pushEvent(), pushEvent()] }, 'events'],
      [{ ...harbor, event_data: { ...(harbor.event_data as object), resources: [{ digest: `sha256:${'d'.repeat(64)}`, resource_url: 'no-slash' }] } }, 'event_data.resources[0].resource_url'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body).toMatchObject({ code: 'validation_failed', details: [{ field }] });
    }
    const big = await post({ events: [pushEvent({ tag: 'x'.repeat(100) })], pad: 'p'.repeat(70 * 1024) });
    expect(big.status).toBe(400);
    expect(big.body).toMatchObject({ code: 'body_too_large' });
    expect((await post('{"events": [')).status).toBe(400);
  });
});
