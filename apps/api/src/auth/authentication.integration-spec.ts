/**
 * Authentication against hostile clients, through the real Nest app and real Redis: malformed
 * bearer tokens are 401 (never 500, never a hint of the admin key's length), and failed
 * authentications are throttled per client address, shared by every replica on the same Redis.
 */
import request from 'supertest';
import { type ApiApp, startApiApp } from '../../../../test/support/api-app.js';

const apps: ApiApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function start(env: Record<string, string> = {}, db = 22): Promise<ApiApp> {
  const a = await startApiApp({ db, env, flush: apps.length === 0 });
  apps.push(a);
  return a;
}

it('answers 401 with the stable body for any malformed or unknown bearer token, whatever its bytes or length', async () => {
  const t = await start({ AUTH_FAILURE_LIMIT: '100000' });
  const n = t.adminKey.length;
  const tokens = [
    'é'.repeat(n), // same character length as the admin key, more bytes
    'é' + t.adminKey.slice(1), // one multi-byte character in the right place
    `${t.adminKey.slice(0, n - 2)}é`, // same byte length, different character length
    '€'.repeat(Math.ceil(n / 3)),
    'ä'.repeat(n - 1), 'x'.repeat(n), 'x'.repeat(n - 1), 'x'.repeat(n + 1), `${t.adminKey}x`, t.adminKey.slice(0, -1),
    `${t.adminKey}\u00a0`, // non-breaking space after the right key
    'k'.repeat(5000), // long
    'a\tb', '\u0080\u009f', // a tab inside, C1 control characters (C0 ones and DEL never pass Node's HTTP parser)
  ];
  for (const token of tokens) {
    // Sent as its UTF-8 bytes, as a client would.
    const res = await request(t.server).get('/v1/analyses').set('authorization', Buffer.from(`Bearer ${token}`, 'utf8').toString('latin1'));
    expect({ token: token.slice(0, 40), status: res.status }).toEqual({ token: token.slice(0, 40), status: 401 });
    expect(res.body).toMatchObject({ code: 'unauthorized', details: [{ field: 'authorization' }] });
  }
  for (const header of ['Bearer', 'Bearer ', `Basic ${t.adminKey}`, `Bearer ${t.adminKey} extra`, `bearer  ${'x'.repeat(10_000)}`]) {
    const res = await request(t.server).get('/v1/profiles').set('authorization', header);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  }
  expect((await request(t.server).get('/v1/analyses').set('authorization', `Bearer ${t.adminKey}`)).status).toBe(200);
  expect((await request(t.server).get('/v1/analyses').set('authorization', `bearer ${t.adminKey}`)).status).toBe(200);
});

it('throttles failed authentications per address with 429 and Retry-After; successes are not counted; replicas share the count', async () => {
  const env = { AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_SECONDS: '60' };
  const a = await start(env);
  const b = await start(env); // a second replica on the same Redis
  const ok = (srv: ApiApp) => request(srv.server).get('/v1/analyses').set('authorization', `Bearer ${a.adminKey}`);
  const bad = (srv: ApiApp) => request(srv.server).get('/v1/analyses').set('authorization', 'Bearer wrong-key-0123456789');
  for (let i = 0; i < 30; i++) expect((await ok(a)).status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await bad(a)).status).toBe(401);
  for (let i = 0; i < 2; i++) expect((await bad(b)).status).toBe(401);
  const limited = await bad(a);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(limited.body).toMatchObject({ code: 'rate_limited', details: [{ field: 'authorization' }] });
  // Blocked means blocked: a right key from the same address is not told apart from a wrong one.
  for (const srv of [a, b]) {
    const res = await ok(srv);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  }
  // X-Forwarded-For is not believed without TRUST_PROXY.
  expect((await ok(a).set('x-forwarded-for', '203.0.113.9')).status).toBe(429);
  // Public routes stay reachable.
  expect((await request(a.server).get('/healthz')).status).toBe(200);
});

it('takes the client address from X-Forwarded-For only from a proxy TRUST_PROXY names', async () => {
  const t = await start({ AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_SECONDS: '60', TRUST_PROXY: 'loopback' });
  const bad = (ip: string) => request(t.server).get('/v1/analyses').set('authorization', 'Bearer wrong-key-0123456789').set('x-forwarded-for', ip);
  expect((await bad('198.51.100.7')).status).toBe(401);
  expect((await bad('198.51.100.7')).status).toBe(401);
  expect((await bad('198.51.100.7')).status).toBe(429);
  // Another client behind the same proxy has its own budget; the blocked one stays blocked with a right key.
  expect((await bad('198.51.100.8')).status).toBe(401);
  expect((await request(t.server).get('/v1/analyses').set('authorization', `Bearer ${t.adminKey}`).set('x-forwarded-for', '198.51.100.8')).status).toBe(200);
  expect((await request(t.server).get('/v1/analyses').set('authorization', `Bearer ${t.adminKey}`).set('x-forwarded-for', '198.51.100.7')).status).toBe(429);
  // IPv6 clients are counted per /64.
  expect((await bad('2001:db8:1:2::1')).status).toBe(401);
  expect((await bad('2001:db8:1:2::ffff')).status).toBe(401);
  expect((await bad('2001:db8:1:2:aaaa::5')).status).toBe(429);
});
