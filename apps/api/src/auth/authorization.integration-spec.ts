/**
 * The authorization matrix over EVERY route of the real Nest app (real Redis, db 22): each caller
 * (no key, bad key, analyst A, analyst B, bootstrap admin, issued admin) × each route × a resource
 * owned by A / B / an admin / nobody (made before ownership) → the expected status. Routes are
 * enumerated from the app's own metadata at test time, so a new route that is missing from SPEC
 * below, or that declares no policy, fails this test. SPEC is written independently of POLICY.
 */
import { randomUUID } from 'node:crypto';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { WatchRepository } from '#core/storage/watch.repository';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { PUBLIC_KEY } from './auth.decorators.js';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { POLICY_KEY } from './policy.js';

type Who = 'public' | 'everyone' | 'admin' | 'owner';
type Target = 'analysis' | 'completed-analysis' | 'watch' | 'webhook' | 'api-key';
interface Spec {
  who: Who;
  /** Status when the policy lets the caller through. */
  ok: number;
  target?: Target;
  body?: unknown;
  yaml?: string;
  /** The registry host put in place of `:host`. */
  host?: string;
}

const SPEC: Record<string, Spec> = {
  'GET /healthz': { who: 'public', ok: 200 },
  'GET /readyz': { who: 'public', ok: 200 },
  'GET /metrics': { who: 'public', ok: 200 },
  // The web console: the same policy through the same guards (a bearer key here; a session cookie in a browser).
  'GET /ui': { who: 'public', ok: 302 },
  'POST /v1/webhooks/:id/test': { who: 'admin', ok: 200, target: 'webhook' },
  'GET /ui/login': { who: 'public', ok: 200 },
  'POST /ui/login': { who: 'public', ok: 401, body: { key: 'not-a-key' } },
  'POST /ui/logout': { who: 'public', ok: 303 },
  'GET /ui/analyses': { who: 'everyone', ok: 200 },
  'POST /ui/analyses': { who: 'everyone', ok: 303, body: { image: 'quarantine-samples/hello:latest' } },
  'GET /ui/analyses/:id': { who: 'everyone', ok: 200, target: 'analysis' },
  'GET /ui/analyses/:id/report': { who: 'everyone', ok: 409, target: 'analysis' },
  'GET /ui/watches': { who: 'everyone', ok: 200 },
  'GET /ui/webhooks': { who: 'admin', ok: 200 },
  'POST /v1/analyses': { who: 'everyone', ok: 202, body: { image: 'quarantine-samples/hello:latest' } },
  'GET /v1/analyses': { who: 'everyone', ok: 200 },
  'GET /v1/analyses/:id': { who: 'everyone', ok: 200, target: 'analysis' },
  'GET /v1/analyses/:id/events': { who: 'everyone', ok: 409, target: 'analysis' },
  'GET /v1/analyses/:id/report': { who: 'everyone', ok: 409, target: 'analysis' },
  // A queued analysis: the caller passes the policy and gets "not finished" (409).
  'GET /v1/analyses/:id/seccomp': { who: 'everyone', ok: 409, target: 'analysis' },
  'GET /v1/analyses/:id/networkpolicy': { who: 'everyone', ok: 409, target: 'analysis' },
  'POST /v1/analyses/:id/rescore': { who: 'owner', ok: 202, target: 'completed-analysis' },
  'DELETE /v1/analyses/:id': { who: 'owner', ok: 200, target: 'analysis' },
  'GET /v1/api-keys': { who: 'admin', ok: 200 },
  'POST /v1/api-keys': { who: 'admin', ok: 201, body: { name: 'made-in-matrix', role: 'analyst' } },
  'DELETE /v1/api-keys/:id': { who: 'admin', ok: 204, target: 'api-key' },
  'GET /v1/profiles': { who: 'everyone', ok: 200 },
  'POST /v1/rules/validate': { who: 'everyone', ok: 200, yaml: '- list: shells\n  items: [sh]\n' },
  'GET /v1/watches': { who: 'everyone', ok: 200 },
  'POST /v1/watches': { who: 'everyone', ok: 201, body: { image: 'quarantine-samples/hello:latest', schedule: '0 2 * * *' } },
  'GET /v1/watches/:id': { who: 'everyone', ok: 200, target: 'watch' },
  'DELETE /v1/watches/:id': { who: 'owner', ok: 204, target: 'watch' },
  'POST /v1/watches/:id/run': { who: 'owner', ok: 202, target: 'watch' },
  'GET /v1/webhooks': { who: 'admin', ok: 200 },
  'POST /v1/webhooks': { who: 'admin', ok: 201, body: { url: 'http://127.0.0.1:9/hook', events: ['analysis.completed'] } },
  'GET /v1/webhooks/dead-letters': { who: 'admin', ok: 200 },
  'GET /v1/webhooks/:id': { who: 'admin', ok: 200, target: 'webhook' },
  'DELETE /v1/webhooks/:id': { who: 'admin', ok: 204, target: 'webhook' },
  'POST /v1/webhooks/:id/rotate-secret': { who: 'admin', ok: 200, target: 'webhook', body: {} },
  'POST /v1/webhooks/:id/enable': { who: 'admin', ok: 200, target: 'webhook' },
  'GET /v1/webhooks/:id/deliveries': { who: 'admin', ok: 200, target: 'webhook' },
  // No such delivery: the admin passes the policy and gets the handler's 404.
  'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': { who: 'admin', ok: 404, target: 'webhook' },
  'GET /v1/audit': { who: 'admin', ok: 200 },
  // No ATTESTATION_KEY in this app: the key route says so (404), the attestation route explains (409).
  'GET /v1/attestations/public-key': { who: 'public', ok: 404 },
  'GET /v1/analyses/:id/attestation': { who: 'everyone', ok: 409, target: 'analysis' },
  'POST /v1/images/:digest/vulnerability-reports': { who: 'everyone', ok: 201, body: { SchemaVersion: 2, Results: [] } },
  'GET /v1/images/:digest/vulnerability-reports': { who: 'everyone', ok: 200 },
  // The Harbor scanner adapter: its own token instead of API keys (harbor.integration-spec.ts); off here (no HARBOR_ADAPTER_TOKEN), so 404 for everyone.
  'GET /api/v1/metadata': { who: 'public', ok: 404 },
  'POST /api/v1/scan': { who: 'public', ok: 404, body: { registry: { url: 'http://127.0.0.1:5000' }, artifact: { repository: 'a', digest: `sha256:${'0'.repeat(64)}` } } },
  'GET /api/v1/scan/:id/report': { who: 'public', ok: 404 },
  // Registry credentials: admins only; nothing stored for absent.example.com, so GET and DELETE pass the policy and get the handler's 404.
  'GET /v1/registries/credentials': { who: 'admin', ok: 200 },
  'PUT /v1/registries/:host/credentials': { who: 'admin', ok: 200, host: 'registry.example.com', body: { username: 'matrix', password: 'matrix-password-1' } },
  'GET /v1/registries/:host/credentials': { who: 'admin', ok: 404, host: 'absent.example.com' },
  'DELETE /v1/registries/:host/credentials': { who: 'admin', ok: 404, host: 'absent.example.com' },
  // Registry push notifications carry their own token (REGISTRY_EVENTS_TOKEN), not an API key: unset here, so 503 for every caller.
  'POST /v1/registry-events': { who: 'public', ok: 503, body: { events: [] } },
};

type Caller = 'none' | 'bad' | 'analystA' | 'analystB' | 'admin' | 'admin2';
const CALLERS: Caller[] = ['none', 'bad', 'analystA', 'analystB', 'admin', 'admin2'];
type Owner = 'analystA' | 'analystB' | 'admin' | 'legacy';

let t: ApiApp;
const keys = {} as Record<Caller, { key: string; id: string }>;

beforeAll(async () => {
  // The matrix sends hundreds of 401s from one address on purpose: no failed-auth throttle here.
  t = await startApiApp({ db: 22, env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', AUTH_FAILURE_LIMIT: '100000' } });
  keys.none = { key: '', id: '' };
  keys.bad = { key: 'qk_not-a-key', id: '' };
  keys.admin = { key: ADMIN_KEY, id: 'bootstrap-admin' };
  keys.analystA = await t.issue('analyst', 'A');
  keys.analystB = await t.issue('analyst', 'B');
  keys.admin2 = await t.issue('admin', 'admin2');
}, 30_000);
afterAll(async () => t?.close());

interface Route {
  key: string;
  method: string;
  path: string;
  handler: object;
  controller: object;
}

/** Every route, from the controllers' metadata in the app's module container. */
function routes(): Route[] {
  const out: Route[] = [];
  for (const mod of t.app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as { prototype: Record<string, unknown> } | null;
      if (!ctrl) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, ctrl) ?? '');
      for (const name of Object.getOwnPropertyNames(ctrl.prototype)) {
        const handler = ctrl.prototype[name] as object;
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (sub === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const path = `/${[base, sub].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
        out.push({ key: `${method} ${path}`, method, path, handler, controller: ctrl });
      }
    }
  }
  return out;
}

function expected(spec: Spec, caller: Caller, owner: Owner | null): number {
  if (spec.who === 'public') return spec.ok;
  if (caller === 'none' || caller === 'bad') return 401;
  const admin = caller === 'admin' || caller === 'admin2';
  if (spec.who === 'admin') return admin ? spec.ok : 403;
  if (spec.who === 'owner') return admin || owner === caller ? spec.ok : 403;
  return spec.ok;
}

function ownerId(owner: Owner): string | undefined {
  return owner === 'legacy' ? undefined : keys[owner].id;
}

async function makeTarget(target: Target, owner: Owner): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  switch (target) {
    case 'analysis':
    case 'completed-analysis': {
      const done = target === 'completed-analysis';
      const rec: AnalysisRecord = {
        id, image: 'quarantine-samples/hello:latest', digest: null, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc',
        status: done ? 'completed' : 'queued', phase: done ? 'done' : 'queued', verdict: done ? 'clean' : null, score: done ? 0 : null, findings: [], labels: {}, priority: 5,
        rulesVersion: null, createdAt: now, startedAt: null, finishedAt: done ? now : null, attempts: 0, error: null, submittedBy: owner,
        ...(ownerId(owner) ? { owner: ownerId(owner) } : {}),
      } as AnalysisRecord;
      await new AnalysisRepository(t.redis).create(rec);
      return id;
    }
    case 'watch':
      await new WatchRepository(t.redis).create({ id, image: 'quarantine-samples/hello:latest', schedule: '0 2 * * *', timezone: 'UTC', profile: 'default', createdAt: now, createdBy: owner, ...(ownerId(owner) ? { owner: ownerId(owner), ownerRole: owner === 'admin' ? 'admin' : 'analyst' } : {}) });
      return id;
    case 'webhook':
      await t.app.get(WebhookRepository).create({
        id, url: 'http://127.0.0.1:9/hook', events: ['analysis.completed'], filter: {}, format: 'generic', secret: 'whsec_matrix', previousSecret: null, previousSecretExpiresAt: null,
        enabled: true, disabledReason: null, createdAt: now, createdBy: owner, ...(ownerId(owner) ? { owner: ownerId(owner) } : {}),
      });
      return id;
    case 'api-key':
      return (await t.issue('analyst')).id;
  }
}

async function call(caller: Caller, method: string, path: string, spec: Spec) {
  let req = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path);
  if (caller !== 'none') req = req.set('authorization', `Bearer ${keys[caller].key}`);
  if (spec.yaml) req = req.set('content-type', 'application/yaml').send(spec.yaml);
  else if (spec.body !== undefined) req = req.send(spec.body as object);
  return req;
}

it('declares a policy (or @Public) on every route, and SPEC covers exactly the routes the app has', () => {
  const all = routes();
  expect(all.length).toBeGreaterThanOrEqual(29);
  const undeclared = all.filter((r) => !Reflect.getMetadata(POLICY_KEY, r.handler) && !Reflect.getMetadata(PUBLIC_KEY, r.handler) && !Reflect.getMetadata(PUBLIC_KEY, r.controller));
  expect(undeclared.map((r) => r.key)).toEqual([]);
  expect(all.map((r) => r.key).sort()).toEqual(Object.keys(SPEC).sort());
  // The same set as the HTTP router itself serves (nothing mounted outside the controllers' metadata).
  const stack = (t.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  const served = stack.filter((l) => l.route).flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${l.route!.path}`));
  for (const r of all) expect(served).toContain(r.key);
});

it('answers every caller × route × owner with the expected status and the stable error body', async () => {
  const mismatches: string[] = [];
  let cells = 0;
  for (const r of routes()) {
    const spec = SPEC[r.key];
    if (!spec) throw new Error(`route ${r.key} has no expectation in SPEC`);
    const owners: (Owner | null)[] = !spec.target ? [null] : spec.target === 'webhook' || spec.target === 'api-key' ? ['admin', 'legacy'] : ['analystA', 'analystB', 'admin', 'legacy'];
    for (const owner of owners) {
      for (const caller of CALLERS) {
        const id = spec.target ? await makeTarget(spec.target, owner!) : '';
        const path = r.path.replace(':deliveryId', `msg_${'0'.repeat(32)}`).replace(':digest', `sha256:${'0'.repeat(64)}`).replace(':id', id).replace(':host', spec.host ?? '');
        const res = await call(caller, r.method, path, spec);
        const want = expected(spec, caller, owner);
        cells++;
        if (res.status !== want) mismatches.push(`${caller} ${r.method} ${r.path} (owner ${owner ?? '-'}): ${res.status}, want ${want} ${JSON.stringify(res.body).slice(0, 160)}`);
        if ((res.status === 401 || res.status === 403) && r.path.startsWith('/ui')) {
          // The console answers a person: the same status, as a page naming the error code.
          if (!String(res.text).includes(res.status === 401 ? 'unauthorized' : 'forbidden')) mismatches.push(`${caller} ${r.key}: error page ${String(res.text).slice(0, 160)}`);
        } else if (res.status === 401 || res.status === 403) {
          if (!(res.body?.code === (res.status === 401 ? 'unauthorized' : 'forbidden') && typeof res.body.message === 'string' && Array.isArray(res.body.details))) mismatches.push(`${caller} ${r.key}: error body ${JSON.stringify(res.body)}`);
        }
      }
    }
  }
  expect(mismatches).toEqual([]);
  expect(cells).toBeGreaterThan(250);
}, 60_000);

it('a refused action changes nothing, and an unknown id is a 404 for an analyst as for an admin', async () => {
  const a = await makeTarget('analysis', 'analystA');
  const refused = await call('analystB', 'DELETE', `/v1/analyses/${a}`, SPEC['DELETE /v1/analyses/:id']);
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ code: 'forbidden', details: [{ field: 'id' }] });
  expect((await new AnalysisRepository(t.redis).get(a))?.status).toBe('queued');
  const w = await makeTarget('watch', 'analystA');
  expect((await call('analystB', 'DELETE', `/v1/watches/${w}`, SPEC['DELETE /v1/watches/:id'])).status).toBe(403);
  expect(await new WatchRepository(t.redis).get(w)).not.toBeNull();
  for (const caller of ['analystB', 'admin'] as const) {
    expect((await call(caller, 'DELETE', `/v1/analyses/${randomUUID()}`, {} as Spec)).status).toBe(404);
    expect((await call(caller, 'POST', `/v1/watches/${randomUUID()}/run`, {} as Spec)).status).toBe(404);
    expect((await call(caller, 'DELETE', '/v1/analyses/not-a-uuid', {} as Spec)).status).toBe(400);
  }
});

it('records the key id that created an analysis, a watch and a webhook as its owner', async () => {
  const sub = await call('analystA', 'POST', '/v1/analyses', SPEC['POST /v1/analyses']);
  expect(sub.status).toBe(202);
  expect(sub.body.owner).toBe(keys.analystA.id);
  const watch = await call('analystB', 'POST', '/v1/watches', SPEC['POST /v1/watches']);
  expect(watch.status).toBe(201);
  expect(watch.body).toMatchObject({ owner: keys.analystB.id, ownerRole: 'analyst' });
  const hook = await call('admin2', 'POST', '/v1/webhooks', SPEC['POST /v1/webhooks']);
  expect(hook.status).toBe(201);
  expect(hook.body.owner).toBe(keys.admin2.id);
  // The owner can act on it, another analyst cannot, an admin can.
  expect((await call('analystA', 'POST', `/v1/watches/${watch.body.id}/run`, {} as Spec)).status).toBe(403);
  expect((await call('analystB', 'POST', `/v1/watches/${watch.body.id}/run`, {} as Spec)).status).toBe(202);
  expect((await call('analystA', 'DELETE', `/v1/analyses/${sub.body.id}`, {} as Spec)).status).toBe(200);
});
