import { type Stack, client, startStack } from '../support/stack.js';

// The booted API (real process, real Redis) without a worker: auth, validation, errors, listing.
let stack: Stack;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  stack = await startStack({ db: 11, workers: 0 });
  api = client(stack);
}, 60_000);
afterAll(async () => stack?.stop());

describe('auth', () => {
  it('rejects /v1 without a key, with a malformed header and with an unknown key (401 JSON)', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer not-a-key' }] as Record<string, string>[]) {
      const res = await fetch(`${stack.base}/v1/analyses`, { headers });
      expect(res.status).toBe(401);
      const body = await res.json();
      expect(body).toMatchObject({ code: 'unauthorized', details: [{ field: 'authorization' }] });
    }
  });

  it('issues keys shown once and stored hashed; analysts submit and read but cannot manage keys', async () => {
    const created = await api.call('POST', '/v1/api-keys', { name: 'analyst-1', role: 'analyst' });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^qk_/);
    const raw = await stack.redis.keys('q:apikey:*');
    expect(raw.length).toBeGreaterThan(0);
    for (const k of raw) expect(await stack.redis.get(k)).not.toContain(created.json.key);
    const listed = await api.call('GET', '/v1/api-keys');
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);

    const analyst = client(stack, created.json.key);
    expect((await analyst.call('GET', '/v1/analyses')).status).toBe(200);
    const sub = await analyst.submit({ image: 'quarantine-samples/hello:latest' });
    expect(sub.status).toBe(202);
    const forbidden = await analyst.call('POST', '/v1/api-keys', { name: 'x', role: 'admin' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('forbidden');

    expect((await api.call('DELETE', `/v1/api-keys/${created.json.id}`)).status).toBe(204);
    expect((await analyst.call('GET', '/v1/analyses')).status).toBe(401);
  });

  it('leaves health, readiness and the OpenAPI document public', async () => {
    expect((await fetch(`${stack.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { redis: { ok: true }, docker: { ok: true } } });
    const doc = (await (await fetch(`${stack.base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/analyses', '/v1/analyses/{id}', '/v1/analyses/{id}/events', '/v1/analyses/{id}/report']));
    expect((await fetch(`${stack.base}/docs`)).status).toBe(200);
  });
});

describe('submission', () => {
  it('queues a valid submission: 202, Location, queued record readable by GET', async () => {
    const res = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'quick', probe: 'strace', labels: { ticket: 'SEC-1' }, priority: 2 });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/analyses/${res.json.id}`);
    expect(res.json).toMatchObject({ status: 'queued', image: 'quarantine-samples/hello:latest', profile: 'quick', probe: 'strace', runtime: 'runc', labels: { ticket: 'SEC-1' } });
    const got = await api.get(res.json.id);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: res.json.id, status: 'queued', verdict: null, findings: [] });
  });

  const bad: [string, unknown, string][] = [
    ['missing image', {}, 'image'],
    ['image with spaces', { image: 'not an image' }, 'image'],
    ['upper-case repository', { image: 'Quarantine/Hello' }, 'image'],
    ['bad digest', { image: 'hello@sha256:1234' }, 'image'],
    ['image of wrong type', { image: 42 }, 'image'],
    ['unknown field', { image: 'hello', extra: true }, 'extra'],
    ['unknown profile', { image: 'hello', profile: 'does-not-exist' }, 'profile'],
    ['profile of wrong type', { image: 'hello', profile: ['default'] }, 'profile'],
    ['unknown probe', { image: 'hello', probe: 'dtrace' }, 'probe'],
    ['priority out of range', { image: 'hello', priority: 99 }, 'priority'],
    ['priority of wrong type', { image: 'hello', priority: 'high' }, 'priority'],
    ['labels not an object', { image: 'hello', labels: ['a'] }, 'labels'],
    ['label value not a string', { image: 'hello', labels: { a: 1 } }, 'labels'],
  ];
  it.each(bad)('rejects %s with 400 naming the field', async (_name, body, field) => {
    const res = await api.submit(body);
    expect(res.status).toBe(400);
    expect(typeof res.json.code).toBe('string');
    expect(res.json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('rejects malformed JSON, a non-object body and an oversized body with 400 naming the body', async () => {
    for (const body of ['{"image":', '[1,2]', JSON.stringify({ image: 'a'.repeat(200_000) })]) {
      const res = await api.submit(body);
      expect(res.status).toBe(400);
      expect(res.json.details.length).toBeGreaterThan(0);
    }
  });

  it('answers unknown ids with 404 and malformed ids with 400, never 500', async () => {
    const missing = '6c1a3b0e-1d4b-4a38-9a3c-2f0e0b1b8f11';
    for (const path of [`/v1/analyses/${missing}`, `/v1/analyses/${missing}/report`, `/v1/analyses/${missing}/events`]) {
      const res = await api.call('GET', path);
      expect(res.status).toBe(404);
      expect(res.json.code).toBe('not_found');
    }
    expect((await api.call('DELETE', `/v1/analyses/${missing}`)).status).toBe(404);
    expect((await api.call('GET', '/v1/analyses/..%2F..%2Fetc')).status).toBe(400);
  });
});

describe('listing', () => {
  it('lists newest first with filters and a cursor that walks every page once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await api.submit({ image: `quarantine-samples/list-${i % 2}:v${i}` })).json.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/analyses?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.call('GET', q);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((a: { id: string }) => a.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const ours = seen.filter((id) => ids.includes(id));
    expect(ours).toEqual([...ids].reverse());

    const filtered = await api.call('GET', `/v1/analyses?image=${encodeURIComponent('quarantine-samples/list-1:v3')}`);
    expect(filtered.json.items.map((a: { id: string }) => a.id)).toEqual([ids[3]]);
    const byStatus = await api.call('GET', '/v1/analyses?status=queued&limit=100');
    expect(byStatus.json.items.every((a: { status: string }) => a.status === 'queued')).toBe(true);
    for (const q of ['limit=0', 'limit=1000', 'verdict=bad', 'cursor=%27%3B', 'digest=abc']) {
      expect((await api.call('GET', `/v1/analyses?${q}`)).status).toBe(400);
    }
  });

  it('lists the sandbox profiles', async () => {
    const res = await api.call('GET', '/v1/profiles');
    expect(res.status).toBe(200);
    const names = res.json.items.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'strict', 'quick']));
    const strict = res.json.items.find((p: { name: string }) => p.name === 'strict');
    expect(strict.capabilities).toBe('drop-all');
  });
});

describe('cancellation of a queued analysis', () => {
  it('drops it from the queue and marks it cancelled', async () => {
    const { json } = await api.submit({ image: 'quarantine-samples/hello:latest' });
    const del = await api.call('DELETE', `/v1/analyses/${json.id}`);
    expect(del.status).toBe(200);
    expect(del.json.status).toBe('cancelled');
    const waiting = await stack.redis.keys(`q:bull:analysis:detonate-${json.id}`);
    expect(waiting).toEqual([]);
    expect((await api.call('DELETE', `/v1/analyses/${json.id}`)).status).toBe(409);
  });
});
