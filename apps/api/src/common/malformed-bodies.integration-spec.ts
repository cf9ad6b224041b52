/**
 * Malformed requests against every route that takes a body, through the real Nest app with real
 * Redis: wrong types, huge strings, deep nesting, bad encodings and content types, duplicate and
 * prototype keys. Whatever is sent, the answer is a 4xx with the stable JSON error body, never 5xx.
 */
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { type ApiApp, startApiApp } from '../../../../test/support/api-app.js';

let t: ApiApp;
let webhookId: string;
const missing = '6c1a3b0e-1d4b-4a38-9a3c-2f0e0b1b8f11';

beforeAll(async () => {
  t = await startApiApp({ db: 21, env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
  const hook = await request(t.server).post('/v1/webhooks').set('authorization', `Bearer ${t.adminKey}`).send({ url: 'http://127.0.0.1:9/q', events: ['analysis.completed'] });
  expect(hook.status).toBe(201);
  webhookId = hook.body.id;
}, 30_000);
afterAll(async () => t?.close());

interface Route {
  path: () => string;
  valid: Record<string, unknown>;
}
const routes: Route[] = [
  { path: () => '/v1/analyses', valid: { image: 'quarantine-samples/hello:latest', profile: 'quick', probe: 'strace', labels: { ticket: 'SEC-1' }, priority: 2 } },
  { path: () => '/v1/api-keys', valid: { name: 'fuzz', role: 'analyst' } },
  { path: () => '/v1/watches', valid: { image: 'registry.local:5000/team/app:stable', schedule: '0 2 * * *', timezone: 'UTC', profile: 'default' } },
  {
    path: () => '/v1/webhooks',
    valid: { url: 'http://127.0.0.1:9/q', events: ['analysis.completed'], filter: { minVerdict: 'suspicious', image: 'x/*' }, format: 'jira', ticket: { projectKey: 'SEC', authorization: 'Basic abc', labels: ['a'] }, description: 'd' },
  },
  { path: () => `/v1/webhooks/${webhookId}/rotate-secret`, valid: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
  { path: () => `/v1/analyses/${missing}/rescore`, valid: {} },
  { path: () => `/v1/watches/${missing}/run`, valid: {} },
];

const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);

/** Bodies as raw strings (sent as application/json unless a case says otherwise). */
function jsonCases(valid: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const keys = Object.keys(valid).length ? Object.keys(valid) : ['x'];
  const wrong: unknown[] = [42, -1, 1e308, true, null, [], {}, [[]], 'str', 'x'.repeat(50_000), '\u0000\r\n', { $gt: '' }, ['a', 1]];
  for (const k of keys) for (const w of wrong) out.push([`${k}=${JSON.stringify(w).slice(0, 20)}`, JSON.stringify({ ...valid, [k]: w })]);
  for (const k of keys) {
    out.push([`${k} deep array`, `{"${k}":${deep(3000, '[', ']')}}`]);
    out.push([`${k} deep object`, `{"${k}":${deep(3000, '{"a":', '}')}}`]);
  }
  out.push(['top-level deep array', deep(5000, '[', ']')]);
  out.push(['top-level deep object', deep(5000, '{"a":', '}')]);
  out.push(['deep unclosed', '['.repeat(20_000)]);
  out.push(['duplicate keys', `{${keys.map((k) => `"${k}":1,"${k}":${JSON.stringify(valid[k] ?? 1)}`).join(',')}}`]);
  for (const p of ['__proto__', 'constructor', 'prototype']) {
    out.push([`${p} top`, JSON.stringify({ ...valid, [p]: { polluted: true } }).replace(/"(__proto__|constructor|prototype)"/, `"${p}"`)]);
    out.push([`${p} raw`, `{"${p}":{"isAdmin":true},${JSON.stringify(valid).slice(1)}`.replace(',}', '}')]);
    for (const k of keys) out.push([`${k}.${p}`, JSON.stringify({ ...valid, [k]: JSON.parse(`{"${p}":{"x":1}}`) })]);
  }
  for (const raw of ['', ' ', 'null', 'true', '1', '"s"', '[]', '[1,2]', '{', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', '{"a":1}{"b":2}', '\uFEFF{}', '{"a":"\\ud800"}', '{"a":"\\u00"}']) {
    out.push([`raw ${JSON.stringify(raw)}`, raw]);
  }
  out.push(['huge string', JSON.stringify({ ...valid, [keys[0]]: 'x'.repeat(200_000) })]);
  out.push(['many keys', JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])))]);
  return out;
}

async function expectNo5xx(what: string, res: request.Response): Promise<void> {
  if (res.status >= 500 || res.status < 400 && res.status !== 200 && res.status !== 201 && res.status !== 202) {
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  if (res.status >= 400) {
    expect(typeof res.body.code).toBe('string');
    expect(Array.isArray(res.body.details)).toBe(true);
  }
}

it('answers every malformed JSON body on every body route with a 4xx JSON error, never 5xx', async () => {
  const failures: string[] = [];
  let count = 0;
  for (const r of routes) {
    for (const [name, body] of jsonCases(r.valid)) {
      const res = await request(t.server).post(r.path()).set('authorization', `Bearer ${t.adminKey}`).set('content-type', 'application/json').send(body);
      count++;
      await expectNo5xx(`${r.path()} ${name}`, res).catch((e: Error) => failures.push(e.message));
    }
  }
  expect(failures).toEqual([]);
  expect(count).toBeGreaterThan(500);
}, 60_000);

it('answers bad encodings, charsets and content types with a 4xx, never 5xx', async () => {
  const failures: string[] = [];
  const json = JSON.stringify(routes[0].valid);
  const cases: [string, Record<string, string>, string | Buffer][] = [
    ['gzip header, plain body', { 'content-encoding': 'gzip', 'content-type': 'application/json' }, json],
    ['br header, plain body', { 'content-encoding': 'br', 'content-type': 'application/json' }, json],
    ['deflate header, plain body', { 'content-encoding': 'deflate', 'content-type': 'application/json' }, json],
    ['unknown encoding', { 'content-encoding': 'x-snappy', 'content-type': 'application/json' }, json],
    ['two encodings', { 'content-encoding': 'gzip, gzip', 'content-type': 'application/json' }, gzipSync(json)],
    ['gzip of garbage', { 'content-encoding': 'gzip', 'content-type': 'application/json' }, gzipSync(Buffer.from([0xff, 0xfe, 0x00, 0x7b]))],
    ['truncated gzip', { 'content-encoding': 'gzip', 'content-type': 'application/json' }, gzipSync(json).subarray(0, 15)],
    ['gzip bomb', { 'content-encoding': 'gzip', 'content-type': 'application/json' }, gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))],
    ['utf-16 charset', { 'content-type': 'application/json; charset=utf-16' }, json],
    ['unknown charset', { 'content-type': 'application/json; charset=x-klingon' }, json],
    ['latin1 charset', { 'content-type': 'application/json; charset=latin1' }, json],
    ['invalid utf-8', { 'content-type': 'application/json' }, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['text/plain', { 'content-type': 'text/plain' }, json],
    ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'image=a&image=b'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="image"\r\n\r\na\r\n--x--'],
    ['bogus content type', { 'content-type': ';;;/' }, json],
    ['yaml to a json route', { 'content-type': 'application/yaml' }, 'image: a'],
    ['json with yaml type', { 'content-type': 'application/x-yaml' }, json],
  ];
  for (const path of [...routes.map((r) => r.path()), '/v1/rules/validate']) {
    for (const [name, headers, body] of cases) {
      const res = await request(t.server).post(path).set('authorization', `Bearer ${t.adminKey}`).set(headers).serialize((b: string | Buffer) => b as never).send(body);
      await expectNo5xx(`${path} ${name}`, res).catch((e: Error) => failures.push(e.message));
    }
  }
  expect(failures).toEqual([]);
}, 60_000);

describe('each malformed-body defect answers 4xx naming the problem', () => {
  const post = (path: string) => request(t.server).post(path).set('authorization', `Bearer ${t.adminKey}`);

  it('refuses JSON nested 3,000 deep with a 400 that says so, before the DTO sees it', async () => {
    for (const body of [`{"image":${deep(3000, '[', ']')}}`, `{"labels":${deep(3000, '{"a":', '}', '"x"')}}`, deep(30_000, '[', ']')]) {
      const res = await post('/v1/analyses').set('content-type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', details: [{ field: 'body', message: 'nested too deeply' }] });
      expect(res.body.message).toMatch(/deeper than 32 levels/);
    }
    // Brackets inside strings do not count, and ordinary nesting passes.
    const ok = await post('/v1/analyses').send({ image: 'quarantine-samples/hello:latest', labels: { note: '[[[[{{{{'.repeat(30) } });
    expect(ok.status).toBe(202);
  });

  it('maps inflate errors to 400 and unknown encodings to 415, and still accepts a real gzip body', async () => {
    for (const enc of ['gzip', 'br', 'deflate']) {
      const res = await post('/v1/analyses').set({ 'content-type': 'application/json', 'content-encoding': enc }).send('{"image":"quarantine-samples/hello:latest"}');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', details: [{ field: 'body', message: 'not valid for its Content-Encoding' }] });
    }
    const unknown = await post('/v1/analyses').set({ 'content-type': 'application/json', 'content-encoding': 'x-snappy' }).send('{}');
    expect(unknown.status).toBe(415);
    expect(unknown.body).toMatchObject({ code: 'unsupported_media_type', details: [{ field: 'body' }] });
    const charset = await post('/v1/analyses').set({ 'content-type': 'application/json; charset=x-klingon' }).send('{}');
    expect(charset.status).toBe(415);
    const gz = await post('/v1/analyses').set({ 'content-type': 'application/json', 'content-encoding': 'gzip' }).serialize((b: Buffer) => b as never).send(gzipSync('{"image":"quarantine-samples/hello:latest"}'));
    expect(gz.body).toMatchObject({ status: 'queued' });
    const bomb = await post('/v1/analyses').set({ 'content-type': 'application/json', 'content-encoding': 'gzip' }).serialize((b: Buffer) => b as never).send(gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)));
    expect(bomb.status).toBe(400);
    expect(bomb.body.code).toBe('body_too_large');
  });

  it('refuses __proto__, constructor and prototype keys anywhere, naming the field', async () => {
    const cases: [string, string, string][] = [
      ['/v1/analyses', '{"image":"quarantine-samples/hello:latest","__proto__":{"isAdmin":true}}', '__proto__'],
      ['/v1/analyses', '{"image":"quarantine-samples/hello:latest","constructor":{"prototype":{"x":1}}}', 'constructor'],
      ['/v1/analyses', '{"image":"quarantine-samples/hello:latest","labels":{"constructor":"x"}}', 'labels.constructor'],
      ['/v1/analyses', '{"image":"quarantine-samples/hello:latest","labels":{"__proto__":"x"}}', 'labels.__proto__'],
      ['/v1/webhooks', '{"url":"http://127.0.0.1:9/q","events":["analysis.completed"],"filter":{"__proto__":{"minVerdict":"clean"}}}', 'filter.__proto__'],
      ['/v1/webhooks', '{"url":"http://127.0.0.1:9/q","events":["analysis.completed"],"ticket":{"prototype":1}}', 'ticket.prototype'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path).set('content-type', 'application/json').send(body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 400 });
      expect(res.body.details).toEqual([expect.objectContaining({ field })]);
    }
  });
});
