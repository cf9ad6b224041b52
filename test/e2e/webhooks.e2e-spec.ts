import { execFileSync } from 'node:child_process';
import { generateSecret } from '#core/webhooks/signing';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';
import { WebhookReceiver, freeLoopbackPort } from '../support/webhook-receiver.js';

// Webhook subscriptions and deliveries against the booted API and worker (real Redis, real
// Docker) and a real HTTP receiver on loopback that verifies every signature on its own.
// Loopback passes the SSRF guard only because WEBHOOK_ALLOW_HOSTS allows 127.0.0.1/32 here.
// Tiny backoff (200 ms doubling, ≤ 1 s per step, 8 attempts) so retries and the dead letter happen in seconds.
let stack: Stack;
let api: ReturnType<typeof client>;
let receiver: WebhookReceiver;
const secretA = generateSecret();
const secretB = generateSecret();
const MAX_ATTEMPTS = 8;

beforeAll(async () => {
  receiver = new WebhookReceiver(await freeLoopbackPort(), [secretA, secretB]);
  stack = await startStack({
    db: 16,
    env: { ADMISSION_PROFILES: 'default,quick', WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', WEBHOOK_BACKOFF_BASE_MS: '200', WEBHOOK_BACKOFF_MAX_MS: '1000', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '2000' },
  });
  api = client(stack);
}, 60_000);
afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
});

const absent = 'quarantine-test/wt5-absent-image:latest';
const deliveries = async (id: string) => (await api.call('GET', `/v1/webhooks/${id}/deliveries`)).json.items as any[];

describe('webhook subscriptions: validation and SSRF guard', () => {
  it.each([
    ['bad URL', 'url', { url: 'not a url', events: ['analysis.completed'] }],
    ['non-http URL', 'url', { url: 'ftp://127.0.0.1/x', events: ['analysis.completed'] }],
    ['unknown event', 'events', { url: 'http://127.0.0.1:9/x', events: ['analysis.exploded'] }],
    ['no events', 'events', { url: 'http://127.0.0.1:9/x', events: [] }],
    ['bad format', 'format', { url: 'http://127.0.0.1:9/x', events: ['analysis.completed'], format: 'xml' }],
    ['bad secret', 'secret', { url: 'http://127.0.0.1:9/x', events: ['analysis.completed'], secret: 'hunter2' }],
    ['bad minimum verdict', 'filter.minVerdict', { url: 'http://127.0.0.1:9/x', events: ['analysis.completed'], filter: { minVerdict: 'evil' } }],
    ['cloud metadata (link-local)', 'url', { url: 'http://169.254.169.254/latest/meta-data', events: ['analysis.completed'] }],
    ['private range', 'url', { url: 'http://10.0.0.1/hook', events: ['analysis.completed'] }],
    ['loopback outside the allow-list', 'url', { url: 'http://127.0.0.2/hook', events: ['analysis.completed'] }],
    ['IPv6 loopback', 'url', { url: 'http://[::1]/hook', events: ['analysis.completed'] }],
    ['cluster API', 'url', { url: 'https://kubernetes.default.svc/api', events: ['analysis.completed'] }],
  ])('refuses %s with 400 naming %s', async (_name, field, body) => {
    const res = await api.call('POST', '/v1/webhooks', body);
    expect(res.status).toBe(400);
    expect(res.json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('is admin only, and never shows the secret after creation', async () => {
    const analyst = await api.call('POST', '/v1/api-keys', { name: 'wh-analyst', role: 'analyst' });
    const res = await client(stack, analyst.json.key).call('POST', '/v1/webhooks', { url: `${receiver.url}/x`, events: ['analysis.completed'] });
    expect(res.status).toBe(403);
    const created = await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/x`, events: ['analysis.completed'], secret: secretA });
    expect(created.status).toBe(201);
    expect(created.json.secret).toBe(secretA);
    const listed = await api.call('GET', '/v1/webhooks');
    expect(JSON.stringify(listed.json)).not.toContain(secretA.slice(6));
    expect((await api.call('DELETE', `/v1/webhooks/${created.json.id}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/webhooks/${created.json.id}`)).status).toBe(404);
  });
});

describe('deliveries', () => {
  let generic: string;
  let cloud: string;

  it('retries while the receiver is down and delivers every event once it is up (signed, stable webhook-id)', async () => {
    generic = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/generic`, events: ['analysis.completed', 'analysis.failed'], secret: secretA })).json.id;
    cloud = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/cloud`, events: ['analysis.failed'], format: 'cloudevents', secret: secretB })).json.id;
    // A vulnerability report for hello's digest (its image id: built locally) travels in its analysis.completed event (docs/vulnerability-reports.md).
    const helloId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'quarantine-samples/hello:latest'], { encoding: 'utf8' }).trim();
    expect((await api.call('POST', `/v1/images/${helloId}/vulnerability-reports`, { matches: [{ vulnerability: { id: 'CVE-2024-0001', severity: 'High' }, artifact: { name: 'busybox', version: '1.36.1' } }] })).status).toBe(201);
    const ok = (await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'quick' })).json.id;
    const bad = (await api.submit({ image: absent, profile: 'quick' })).json.id;
    // Receiver down: attempts fail with a connection error and are retried.
    await waitFor(async () => {
      const g = await deliveries(generic);
      return g.length === 2 && g.every((d) => d.attempts.length >= 1 && d.status === 'pending') && (await deliveries(cloud)).some((d) => d.attempts.length >= 1);
    }, 60_000, () => `no failed attempts yet\n${stack.logs().slice(-3000)}`);
    await receiver.start();
    await waitFor(async () => (await deliveries(generic)).every((d) => d.status === 'delivered') && (await deliveries(cloud)).every((d) => d.status === 'delivered'), 30_000);
    const got = receiver.at('/generic');
    expect(got.map((r) => r.json.type).sort()).toEqual(['analysis.completed', 'analysis.failed']);
    expect(got.every((r) => r.verifiedBy.includes(0))).toBe(true);
    expect(got.find((r) => r.json.type === 'analysis.completed')!.json.data).toMatchObject({ analysisId: ok, verdict: expect.any(String), reportUrl: expect.stringContaining(`/v1/analyses/${ok}/report`) });
    expect(got.find((r) => r.json.type === 'analysis.completed')!.json.data.vulnerabilities).toMatchObject({ digest: helloId, highest: 'high', reports: [{ scanner: 'grype', counts: { high: 1 } }] });
    expect(got.find((r) => r.json.type === 'analysis.failed')!.json.data.vulnerabilities).toBeNull();
    expect(got.find((r) => r.json.type === 'analysis.failed')!.json.data).toMatchObject({ analysisId: bad, status: 'failed', verdict: 'error' });
    const ce = receiver.at('/cloud')[0];
    expect(ce.headers['content-type']).toContain('application/cloudevents+json');
    expect(ce.json).toMatchObject({ specversion: '1.0', type: 'io.quarantine.analysis.failed', subject: bad, id: ce.headers['webhook-id'] });
    expect(ce.verifiedBy).toEqual([1]);
    const ds = await deliveries(generic);
    for (const d of ds) {
      expect(d.attempts.length).toBeGreaterThan(1);
      expect(d.attempts.slice(0, -1).every((a: { statusCode: number | null; error?: string }) => a.statusCode === null && a.error)).toBe(true);
      expect(d.attempts.at(-1)).toMatchObject({ statusCode: 200, latencyMs: expect.any(Number) });
      expect(got.some((r) => r.headers['webhook-id'] === d.id)).toBe(true);
    }
  }, 90_000);

  it('410 disables the subscription; failing receivers dead-letter after the last attempt; redelivery keeps the webhook-id; rotation sends both signatures', async () => {
    const gone = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/gone`, events: ['analysis.failed'] })).json.id;
    let flakyUp = false;
    receiver.on('/gone', () => ({ status: 410 }));
    receiver.on('/flaky', () => (flakyUp ? { status: 204 } : { status: 503 }));
    const flaky = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/flaky`, events: ['analysis.failed'], secret: secretA })).json.id;
    const secretC = generateSecret();
    const rotated = await api.call('POST', `/v1/webhooks/${generic}/rotate-secret`, { secret: secretC });
    expect(rotated.status).toBe(200);
    expect(rotated.json.rotating).toBe(true);
    receiver.secrets.push(secretC);
    const before = receiver.at('/generic').length;

    const bad = (await api.submit({ image: absent, profile: 'quick' })).json.id;
    await waitFor(async () => (await api.call('GET', `/v1/webhooks/${gone}`)).json.enabled === false, 30_000);
    const goneDeliveries = await deliveries(gone);
    expect(goneDeliveries).toHaveLength(1);
    expect(goneDeliveries[0]).toMatchObject({ status: 'failed', attempts: [{ statusCode: 410 }] });

    // Rotation: the new secret and the old one both sign.
    await waitFor(() => receiver.at('/generic').length > before, 20_000);
    const sig = receiver.at('/generic').at(-1)!;
    expect(sig.json.data.analysisId).toBe(bad);
    expect(sig.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(sig.verifiedBy.sort()).toEqual([0, 2]);

    // Dead letter after the last attempt.
    await waitFor(async () => (await deliveries(flaky))[0]?.status === 'dead', 30_000, () => stack.logs().slice(-3000));
    const [dead] = await deliveries(flaky);
    expect(dead.attempts).toHaveLength(MAX_ATTEMPTS);
    expect(dead.attempts.every((a: { statusCode: number }) => a.statusCode === 503)).toBe(true);
    expect((await api.call('GET', '/v1/webhooks/dead-letters')).json.items.map((d: { id: string }) => d.id)).toContain(dead.id);

    // Redelivery once the receiver is healthy: same body, same webhook-id.
    flakyUp = true;
    const re = await api.call('POST', `/v1/webhooks/${flaky}/deliveries/${dead.id}/redeliver`);
    expect(re.status).toBe(202);
    await waitFor(async () => (await deliveries(flaky))[0]?.status === 'delivered', 20_000);
    const flakyGot = receiver.at('/flaky');
    expect(flakyGot).toHaveLength(MAX_ATTEMPTS + 1);
    expect(new Set(flakyGot.map((r) => r.headers['webhook-id']))).toEqual(new Set([dead.id]));
    expect(new Set(flakyGot.map((r) => r.body)).size).toBe(1);
    expect(flakyGot.at(-1)!.status).toBe(204);
    expect((await api.call('GET', '/v1/webhooks/dead-letters')).json.items.map((d: { id: string }) => d.id)).not.toContain(dead.id);

    // The disabled subscription receives nothing more.
    const bad2 = (await api.submit({ image: absent, profile: 'quick' })).json.id;
    await waitFor(() => receiver.at('/generic').some((r) => r.json?.data?.analysisId === bad2), 20_000);
    expect(receiver.at('/gone')).toHaveLength(1);
    expect(await deliveries(gone)).toHaveLength(1);

    // Bad ids on redelivery are 400 naming the field.
    const badId = await api.call('POST', `/v1/webhooks/${flaky}/deliveries/nope/redeliver`);
    expect(badId.status).toBe(400);
    expect(badId.json.details[0].field).toBe('deliveryId');
  }, 90_000);
});

describe('verdict changes, Retry-After and the per-delivery SSRF check', () => {
  const TAG = 'quarantine-test/wt5-verdict:latest';
  afterAll(() => {
    try {
      execFileSync('docker', ['rmi', TAG], { stdio: 'ignore' });
    } catch {
      /* not created */
    }
  });

  it('sends verdict.changed when an image reference comes out with a new verdict (honouring a 429 Retry-After)', async () => {
    let busy = true;
    receiver.on('/verdicts', () => {
      if (busy) {
        busy = false;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      return { status: 200 };
    });
    const id = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/verdicts`, events: ['verdict.changed'], filter: { image: 'quarantine-test/wt5-verdict:*' } })).json.id;
    execFileSync('docker', ['tag', 'quarantine-samples/hello:latest', TAG]);
    const clean = await api.waitDone((await api.submit({ image: TAG, profile: 'quick' })).json.id);
    expect(clean.verdict).toBe('clean');
    execFileSync('docker', ['tag', 'quarantine-samples/shadow-reader:latest', TAG]);
    const bad = await api.waitDone((await api.submit({ image: TAG, profile: 'quick' })).json.id);
    expect(['suspicious', 'malicious']).toContain(bad.verdict);
    await waitFor(async () => (await deliveries(id))[0]?.status === 'delivered', 20_000);
    const [d] = await deliveries(id);
    expect(d.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([429, 200]);
    // Retry-After: 1 s, although the backoff's first step is 200 ms.
    expect(Date.parse(d.attempts[1].at) - Date.parse(d.attempts[0].at)).toBeGreaterThanOrEqual(900);
    const got = receiver.at('/verdicts');
    expect(got).toHaveLength(2);
    expect(got[1].json).toMatchObject({ type: 'verdict.changed', data: { analysisId: bad.id, previousVerdict: 'clean', previousAnalysisId: clean.id, verdict: bad.verdict } });
  }, 60_000);

  it('checks the URL again at delivery time: a stored URL that now points at a private address is refused, not contacted', async () => {
    const id = (await api.call('POST', '/v1/webhooks', { url: `${receiver.url}/moved`, events: ['analysis.failed'] })).json.id;
    // What a DNS change would do: the subscription's target becomes a private address after registration.
    const key = `q:webhook:${id}`;
    const sub = JSON.parse((await stack.redis.get(key))!);
    await stack.redis.set(key, JSON.stringify({ ...sub, url: 'http://10.255.255.1:9/moved' }));
    await api.submit({ image: absent, profile: 'quick' });
    await waitFor(async () => (await deliveries(id))[0]?.status === 'dead', 20_000);
    const [d] = await deliveries(id);
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringContaining('private') });
    expect(receiver.at('/moved')).toHaveLength(0);
  }, 30_000);
});
