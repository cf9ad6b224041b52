/**
 * Input that would be stored but could never work is refused up front with a 400 naming the
 * field: header values and URLs with control characters, registry ports past 65535, cron
 * patterns of `?` only, reserved keys, and unknown query parameters named like Object.prototype's members.
 */
import request from 'supertest';
import { type ApiApp, startApiApp } from '../../../../test/support/api-app.js';

let t: ApiApp;
beforeAll(async () => {
  t = await startApiApp({ db: 24, env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
}, 30_000);
afterAll(async () => t?.close());

const post = (path: string, body: unknown) => request(t.server).post(path).set('authorization', `Bearer ${t.adminKey}`).send(body as object);
const hook = { url: 'http://127.0.0.1:9/q', events: ['analysis.completed'] };

async function expect400(path: string, body: unknown, field: string): Promise<void> {
  const res = await post(path, body);
  expect({ body: JSON.stringify(body).slice(0, 120), status: res.status }).toEqual({ body: JSON.stringify(body).slice(0, 120), status: 400 });
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
}

it('refuses a ticket authorization header value with CR, LF or other control characters', async () => {
  for (const authorization of ['Basic abc\r\nX-Injected: 1', 'Basic abc\n', 'Bearer \u0000x', 'Basic\u007f', 'Token é']) {
    await expect400('/v1/webhooks', { ...hook, format: 'jira', ticket: { authorization } }, 'ticket.authorization');
  }
  expect((await post('/v1/webhooks', { ...hook, format: 'jira', ticket: { authorization: 'Basic dXNlcjpwYXNz' } })).status).toBe(201);
});

it('refuses webhook URLs with control characters (the URL parser would silently drop CR, LF and tab)', async () => {
  for (const url of ['http://127.0.0.1:9/q\r\nX-Injected: 1', 'http://127.0.0.1:9/\nq', 'http://127.0.0.1:9/q\t', 'http://127.0.0.1:9/\u0000', 'http://127.0.0.1:9/q\u007f', 'http://127.0.0.1:9/a b']) {
    await expect400('/v1/webhooks', { ...hook, url }, 'url');
  }
});

it('refuses image references whose registry port is not a TCP port', async () => {
  for (const image of ['registry.local:65536/team/app:1', 'registry.local:99999/team/app', 'localhost:0/app', 'registry.local:00080/app']) {
    await expect400('/v1/analyses', { image }, 'image');
    await expect400('/v1/watches', { image }, 'image');
  }
  expect((await post('/v1/analyses', { image: 'registry.local:65535/team/app:1' })).status).toBe(202);
});

it('refuses cron patterns with ? outside the day-of-month and day-of-week fields', async () => {
  for (const schedule of ['? ? ? ? ?', '? * * * *', '0 ? * * *', '0 0 * ? *', '? ? ? ? ? ?', '0 0 ? * ?']) {
    await expect400('/v1/watches', { image: 'registry.local:5000/team/app:stable', schedule }, 'schedule');
  }
  for (const schedule of ['0 2 ? * 1', '0 2 1 * ?', '0 0 2 ? * MON']) {
    expect((await post('/v1/watches', { image: 'registry.local:5000/team/app:stable', schedule })).status).toBe(201);
  }
});

it('refuses reserved label keys instead of dropping them', async () => {
  for (const key of ['constructor', '__proto__', 'prototype']) {
    const res = await post('/v1/analyses', JSON.parse(`{"image":"quarantine-samples/hello:latest","labels":{"ticket":"SEC-1","${key}":"x"}}`));
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: `labels.${key}` })]);
  }
});

it('refuses unknown query parameters named like Object.prototype members', async () => {
  for (const q of ['constructor=x', '__proto__=x', 'toString=x', 'hasOwnProperty=1', '__proto__[limit]=1', 'constructor[prototype][x]=1']) {
    const res = await request(t.server).get(`/v1/analyses?${q}`).set('authorization', `Bearer ${t.adminKey}`);
    expect({ q, status: res.status }).toEqual({ q, status: 400 });
    expect(res.body.code).toBe('validation_failed');
  }
});
