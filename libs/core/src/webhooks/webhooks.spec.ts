import { createHmac } from 'node:crypto';
import { backoffDelay, backoffSpanMs, parseRetryAfter } from './backoff.js';
import { findingSetKey, genericPayload, jiraCreateBody, resolveTarget, servicenowCreateBody, ticketRefFromResponse, ticketRepository } from './payloads.js';
import { generateSecret, secretKey, sign, signatureHeaders, verify } from './signing.js';
import { blockedReason, checkWebhookUrl, parseAllowList } from './ssrf.js';
import { type EventContext, globMatch, passesFilter } from './webhook.types.js';

describe('Standard Webhooks signing', () => {
  // Known vector computed independently here with node:crypto: key bytes 0x01..0x20.
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
  const secret = `whsec_${key.toString('base64')}`;
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const ts = 1674087231;
  const body = '{"type":"analysis.completed","data":{"analysisId":"a1"}}';
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');

  it('signs id.timestamp.body with HMAC-SHA256 of the secret bytes, as v1,<base64>', () => {
    expect(sign(secret, id, ts, body)).toBe(`v1,${expected}`);
    expect(signatureHeaders([secret], id, ts, body)).toEqual({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${expected}` });
  });

  it('sends both signatures during a rotation, and a receiver with either secret verifies', () => {
    const next = generateSecret();
    const h = signatureHeaders([next, secret], id, ts, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(secret, h, body, { nowSec: ts })).toBe(true);
    expect(verify(next, h, body, { nowSec: ts })).toBe(true);
    expect(verify(generateSecret(), h, body, { nowSec: ts })).toBe(false);
    expect(verify(secret, h, `${body} `, { nowSec: ts })).toBe(false);
    expect(verify(secret, h, body, { nowSec: ts + 3600 })).toBe(false);
  });

  it('rejects secrets that are not whsec_<base64> of 24-64 bytes', () => {
    expect(() => secretKey('abc')).toThrow(/whsec_/);
    expect(() => secretKey('whsec_!!!!')).toThrow(/base64/);
    expect(() => secretKey(`whsec_${Buffer.alloc(8).toString('base64')}`)).toThrow(/24 to 64/);
    expect(secretKey(generateSecret())).toHaveLength(32);
  });
});

describe('SSRF guard', () => {
  const none = parseAllowList('');
  const resolveTo = (...addrs: string[]) => async () => addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it.each([
    ['http://127.0.0.1:8080/x', 'loopback'],
    ['http://[::1]/x', 'loopback'],
    ['http://169.254.169.254/latest/meta-data', 'link-local'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.20.0.1/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'shared'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fd00::1]/', 'unique local'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ])('refuses %s (%s)', async (url, why) => {
    await expect(checkWebhookUrl(url, none)).rejects.toThrow(why);
  });

  it('refuses the cluster API by name, and names that resolve to private addresses', async () => {
    await expect(checkWebhookUrl('https://kubernetes.default.svc/api', none, resolveTo('93.184.216.34'))).rejects.toThrow(/cluster API/);
    await expect(checkWebhookUrl('https://metadata.example/', none, resolveTo('93.184.216.34', '169.254.169.254'))).rejects.toThrow(/169\.254\.169\.254/);
    await expect(checkWebhookUrl('ftp://example.com/', none)).rejects.toThrow(/http or https/);
    await expect(checkWebhookUrl('https://user:pw@example.com/', none)).rejects.toThrow(/credentials/);
  });

  it('accepts public addresses and pins the checked address', async () => {
    const t = await checkWebhookUrl('https://hooks.example.com/q', none, resolveTo('93.184.216.34'));
    expect(t.address).toBe('93.184.216.34');
    expect(blockedReason('8.8.8.8')).toBeNull();
  });

  it('lets WEBHOOK_ALLOW_HOSTS permit hosts and CIDRs, and rejects bad entries', async () => {
    const allow = parseAllowList('127.0.0.0/8, jira.internal , fd00::/8');
    expect((await checkWebhookUrl('http://127.0.0.1:9/x', allow)).address).toBe('127.0.0.1');
    expect((await checkWebhookUrl('http://jira.internal/rest', allow, resolveTo('10.0.0.5'))).address).toBe('10.0.0.5');
    await expect(checkWebhookUrl('http://10.0.0.5/', allow)).rejects.toThrow(/private/);
    expect(() => parseAllowList('10.0.0.0/40')).toThrow(/prefix/);
    expect(() => parseAllowList('not a host')).toThrow(/neither/);
  });
});

describe('backoff', () => {
  const policy = { baseMs: 30_000, maxMs: 12 * 3600_000, attempts: 17 };
  it('doubles from the base with ±20 % jitter, capped per step, and spans about three days by default', () => {
    expect(backoffDelay(policy, 1, () => 0.5)).toBe(30_000);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(120_000);
    expect(backoffDelay(policy, 3, () => 0)).toBe(96_000);
    expect(backoffDelay(policy, 3, () => 1)).toBe(144_000);
    expect(backoffDelay(policy, 30, () => 0.5)).toBe(12 * 3600_000);
    const days = backoffSpanMs(policy) / 86_400_000;
    expect(days).toBeGreaterThan(2.5);
    expect(days).toBeLessThan(3.5);
  });
  it('honours a sensible Retry-After (seconds or HTTP date) and ignores an absurd one', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffDelay(policy, 1, () => 0.5, 7000)).toBe(7000);
    expect(backoffDelay(policy, 1, () => 0.5, 30 * 86_400_000)).toBe(30_000);
  });
});

describe('filters and ticket payloads', () => {
  const ctx: EventContext = {
    event: 'analysis.completed',
    occurredAt: '2026-01-01T00:00:00.000Z',
    analysis: {
      id: 'a1',
      image: 'registry.local:5000/team/app:stable',
      digest: 'sha256:' + 'a'.repeat(64),
      profile: 'default',
      status: 'completed',
      verdict: 'malicious',
      score: 90,
      findings: [{ rule: 'Read sensitive file', priority: 'WARNING', tags: ['T1003'], count: 2 }, { rule: 'Reverse shell', priority: 'CRITICAL', tags: [], count: 1 }],
      error: null,
      finishedAt: '2026-01-01T00:00:00.000Z',
    },
    reportUrl: 'http://q.local/v1/analyses/a1/report',
  };

  it('matches image globs and minimum verdicts', () => {
    expect(globMatch('registry.local:5000/team/*', 'registry.local:5000/team/app:stable')).toBe(true);
    expect(globMatch('registry.local:5000/*', 'registry.local:5000/team/app:stable')).toBe(false);
    expect(globMatch('registry.local:5000/**', 'registry.local:5000/team/app:stable')).toBe(true);
    expect(passesFilter({ minVerdict: 'suspicious' }, 'x', 'malicious')).toBe(true);
    expect(passesFilter({ minVerdict: 'suspicious' }, 'x', 'clean')).toBe(false);
  });

  it('builds a Jira create-issue body with project, type, summary, findings, report link, labels and priority', () => {
    const body = JSON.parse(jiraCreateBody(ctx, { projectKey: 'OPS', labels: ['containers'] }));
    expect(body.fields).toMatchObject({ project: { key: 'OPS' }, issuetype: { name: 'Bug' }, priority: { name: 'Highest' }, labels: ['quarantine', 'verdict-malicious', 'containers'] });
    expect(body.fields.summary).toContain('registry.local:5000/team/app');
    expect(body.fields.description).toContain('Reverse shell');
    expect(body.fields.description).toContain(ctx.reportUrl);
  });

  it('builds a ServiceNow incident with urgency and impact from the verdict', () => {
    const body = JSON.parse(servicenowCreateBody({ ...ctx, analysis: { ...ctx.analysis, verdict: 'suspicious' } }));
    expect(body).toMatchObject({ urgency: '2', impact: '2' });
    expect(body.short_description.length).toBeLessThanOrEqual(160);
    expect(body.description).toContain('Read sensitive file');
  });

  it('keys tickets by repository and order-insensitive finding set; reads ticket ids; builds resolve targets', () => {
    expect(ticketRepository('registry.local:5000/team/app:stable')).toBe('registry.local:5000/team/app');
    expect(ticketRepository(`team/app@sha256:${'b'.repeat(64)}`)).toBe('team/app');
    expect(findingSetKey([{ rule: 'a' }, { rule: 'b' }])).toBe(findingSetKey([{ rule: 'b' }, { rule: 'a' }, { rule: 'a' }]));
    expect(findingSetKey([{ rule: 'a' }])).not.toBe(findingSetKey([{ rule: 'b' }]));
    expect(ticketRefFromResponse('jira', '{"id":"1","key":"OPS-7"}')).toBe('OPS-7');
    expect(ticketRefFromResponse('servicenow', '{"result":{"sys_id":"abc123"}}')).toBe('abc123');
    expect(ticketRefFromResponse('jira', 'oops')).toBeNull();
    expect(resolveTarget('jira', 'http://j/rest/api/2/issue/', 'OPS-7')).toEqual({ url: 'http://j/rest/api/2/issue/OPS-7/transitions', method: 'POST' });
    expect(resolveTarget('servicenow', 'http://s/api/now/table/incident', 'abc')).toEqual({ url: 'http://s/api/now/table/incident/abc', method: 'PATCH' });
  });
});

describe('vulnerability counts in payloads', () => {
  it('generic payloads and tickets carry the stored reports\' counts for the digest', () => {
    const counts = { critical: 2, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 };
    const ctx = { event: 'analysis.completed' as const, occurredAt: 't', reportUrl: 'u', analysis: { id: 'a', image: 'r/i:1', digest: 'sha256:x', profile: 'default', status: 'completed', verdict: 'clean' as const, score: 0, findings: [], error: null, finishedAt: 't' }, vulnerabilities: { digest: 'sha256:x', highest: 'critical' as const, reports: [{ scanner: 'trivy' as const, scannerVersion: null, total: 3, fixable: 1, counts, highest: 'critical' as const, receivedAt: 't' }] } };
    expect(JSON.parse(genericPayload(ctx)).data.vulnerabilities.reports[0].counts).toEqual(counts);
    expect(JSON.parse(jiraCreateBody(ctx)).fields.description).toContain('- trivy: critical 2, high 1');
    expect(JSON.parse(genericPayload({ ...ctx, vulnerabilities: undefined })).data).not.toHaveProperty('vulnerabilities');
  });
});
