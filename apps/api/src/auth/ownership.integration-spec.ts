/**
 * Minimum watch interval, per-key quotas and the audit log, through HTTP on the real Nest app
 * (real Redis, db 23; QUOTA_ANALYST_ACTIVE=5 so concurrency is cheap to provoke).
 */
import { AuditRepository } from '#core/storage/audit.repository';
import { ADMIN_KEY, type ApiApp, startApiApp } from '../../../../test/support/api-app.js';

let t: ApiApp;
let a: { key: string; id: string };
let b: { key: string; id: string };
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  t = await startApiApp({ db: 23, env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', AUTH_FAILURE_LIMIT: '100000', QUOTA_ANALYST_ACTIVE: '5', QUOTA_ADMIN_ACTIVE: '0' } });
  a = await t.issue('analyst', 'A');
  b = await t.issue('analyst', 'B');
}, 30_000);
afterAll(async () => t?.close());

const submit = (key: string) => t.http.post('/v1/analyses').set(auth(key)).send({ image: 'quarantine-samples/hello:latest' });

describe('minimum watch interval', () => {
  it.each([['* * * * * *'], ['*/10 * * * * *'], ['*/2 * * * *'], ['0,1 0 1 1 *']])('refuses %s with a 400 naming schedule', async (schedule) => {
    const res = await t.http.post('/v1/watches').set(auth(a.key)).send({ image: 'quarantine-samples/hello:latest', schedule });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', details: [{ field: 'schedule' }] });
    expect(res.body.message).toMatch(/300 s/);
  });

  it('accepts a schedule that keeps to the minimum (every 5 minutes)', async () => {
    const res = await t.http.post('/v1/watches').set(auth(a.key)).send({ image: 'quarantine-samples/hello:latest', schedule: '*/5 * * * *' });
    expect(res.status).toBe(201);
  });
});

describe('per-key quota of queued + running analyses', () => {
  it('lets exactly the quota through under 20 concurrent submissions; the rest get 429 + Retry-After', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => submit(a.key)));
    const ok = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect(r.body).toMatchObject({ code: 'quota_exceeded', details: [{ field: 'quota' }] });
    }
    // Another analyst has a budget of their own; admins are unlimited by default.
    expect((await submit(b.key)).status).toBe(202);
    const admin = await Promise.all(Array.from({ length: 12 }, () => submit(ADMIN_KEY)));
    expect(admin.every((r) => r.status === 202)).toBe(true);

    // A finished (here: cancelled) analysis frees its slot.
    expect((await t.http.delete(`/v1/analyses/${ok[0].body.id}`).set(auth(a.key))).status).toBe(200);
    expect((await submit(a.key)).status).toBe(202);
    expect((await submit(a.key)).status).toBe(429);
  });
});

describe('audit log', () => {
  const audit = (key: string, query = '') => t.http.get(`/v1/audit${query}`).set(auth(key));

  it('records who did what to which resource, with the outcome, for the audited actions', async () => {
    const key = await t.http.post('/v1/api-keys').set(auth(ADMIN_KEY)).send({ name: 'audited', role: 'analyst' });
    expect(key.status).toBe(201);
    expect((await t.http.delete(`/v1/api-keys/${key.body.id}`).set(auth(ADMIN_KEY))).status).toBe(204);
    const hook = await t.http.post('/v1/webhooks').set(auth(ADMIN_KEY)).send({ url: 'http://127.0.0.1:9/h', events: ['analysis.completed'] });
    expect((await t.http.delete(`/v1/webhooks/${hook.body.id}`).set(auth(ADMIN_KEY))).status).toBe(204);
    const w = await t.http.post('/v1/watches').set(auth(b.key)).send({ image: 'quarantine-samples/hello:latest' });
    expect((await t.http.delete(`/v1/watches/${w.body.id}`).set(auth(a.key))).status).toBe(403);
    expect((await t.http.delete(`/v1/watches/${w.body.id}`).set(auth(b.key))).status).toBe(204);

    const all = await audit(ADMIN_KEY, '?limit=500');
    expect(all.status).toBe(200);
    const items = all.body.items as { action: string; result: string; status?: number; actor: { keyId: string; role: string; address: string | null }; resource: { id: string | null }; at: string; requestId: string }[];
    const find = (action: string, result: string, id: string) => items.find((e) => e.action === action && e.result === result && e.resource.id === id);
    expect(find('api-key.create', 'ok', key.body.id)).toMatchObject({ status: 201, actor: { keyId: 'bootstrap-admin', role: 'admin' } });
    expect(find('api-key.revoke', 'ok', key.body.id)).toMatchObject({ status: 204 });
    expect(find('webhook.create', 'ok', hook.body.id)).toBeDefined();
    expect(find('webhook.delete', 'ok', hook.body.id)).toBeDefined();
    expect(find('watch.create', 'ok', w.body.id)).toMatchObject({ actor: { keyId: b.id, role: 'analyst' } });
    expect(find('watch.delete', 'denied', w.body.id)).toMatchObject({ status: 403, actor: { keyId: a.id } });
    const del = find('watch.delete', 'ok', w.body.id)!;
    expect(del.actor.address).toMatch(/127\.0\.0\.1|::1/);
    // The attempt was written before the change, with the same request id.
    expect(items.find((e) => e.action === 'watch.delete' && e.result === 'attempt' && e.requestId === del.requestId)).toBeDefined();
    // The cancellation of the quota test is there too.
    expect(items.some((e) => e.action === 'analysis.cancel' && e.result === 'ok' && e.actor.keyId === a.id)).toBe(true);
  });

  it('filters by action and actor, pages with a cursor, and only admins may read it', async () => {
    const byB = await audit(ADMIN_KEY, `?actor=${b.id}&action=watch.create`);
    expect(byB.status).toBe(200);
    expect(byB.body.items.length).toBeGreaterThan(0);
    expect(byB.body.items.every((e: { action: string; actor: { keyId: string } }) => e.action === 'watch.create' && e.actor.keyId === b.id)).toBe(true);
    const p1 = await audit(ADMIN_KEY, '?limit=2');
    expect(p1.body.items).toHaveLength(2);
    const p2 = await audit(ADMIN_KEY, `?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items).toHaveLength(2);
    expect(p2.body.items[0].id < p1.body.items[1].id).toBe(true);
    expect((await audit(ADMIN_KEY, `?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.items).toEqual([]);
    const denied = await audit(a.key);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('forbidden');
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=abc', 'limit'],
    ['?since=yesterday', 'since'],
    ['?action=analysis.explode', 'action'],
    ['?actor=a%20b', 'actor'],
    ['?cursor=zzz', 'cursor'],
    ['?what=1', 'what'],
  ])('%s → 400 naming %s', async (q, field) => {
    const res = await audit(ADMIN_KEY, q);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('fails closed: when the log cannot be written, the audited action is refused (503) and not performed', async () => {
    const res = await submit(b.key);
    const id = res.body.id as string;
    const saved = await t.redis.dumpBuffer('q:audit');
    await t.redis.del('q:audit');
    await t.redis.set('q:audit', 'not a stream'); // every XADD now fails (WRONGTYPE), like a log that cannot take writes
    try {
      const cancel = await t.http.delete(`/v1/analyses/${id}`).set(auth(b.key));
      expect(cancel.status).toBe(503);
      expect(cancel.body.code).toBe('service_unavailable');
      expect((await t.http.get(`/v1/analyses/${id}`).set(auth(b.key))).body.status).toBe('queued');
    } finally {
      await t.redis.del('q:audit');
      if (saved) await t.redis.restore('q:audit', 0, saved);
    }
    expect((await t.http.delete(`/v1/analyses/${id}`).set(auth(b.key))).status).toBe(200);
  });

  it('keeps entries for AUDIT_RETENTION_DAYS: older ones are trimmed at the next write and never returned', async () => {
    const repo = new AuditRepository(t.redis, 1);
    const old = Date.now() - 2 * 24 * 3600 * 1000;
    const entry = { at: new Date(old).toISOString(), actor: { keyId: 'old', name: 'old', role: 'admin', address: null }, action: 'watch.delete', resource: { type: 'watch', id: null }, result: 'ok', requestId: 'r' };
    // An entry written two days ago (stream ids are times; the last test, so the stream can start over),
    // then a fresh append under a 1-day retention.
    await t.redis.del('q:audit');
    await t.redis.xadd('q:audit', `${old}-0`, 'e', JSON.stringify(entry));
    expect(await t.redis.xrange('q:audit', '-', String(old))).toHaveLength(1);
    await repo.append({ ...entry, at: new Date().toISOString(), actor: { ...entry.actor, keyId: 'new' } } as never);
    expect(await t.redis.xrange('q:audit', '-', String(old))).toEqual([]);
    expect((await repo.query({ limit: 500, actor: 'new' })).items).toHaveLength(1);
  });
});
