import { execFileSync } from 'node:child_process';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';
import { WebhookReceiver, freeLoopbackPort } from '../support/webhook-receiver.js';

// Watches (BullMQ job schedulers), drift between two images pushed under the same watched tag,
// and ticket formats, against the booted API and two workers (real Redis, real Docker).
// Jira and ServiceNow cannot run here: they are mocked by a real HTTP receiver on loopback that
// answers like their REST APIs (create returns the issue key / sys_id). "Pushing" a new image
// under the tag is `docker tag` of another local sample image to the same tag.
let stack: Stack;
let api: ReturnType<typeof client>;
let receiver: WebhookReceiver;
const TAG = 'quarantine-test/wt5-drift:latest';
const tagAs = (source: string) => execFileSync('docker', ['tag', source, TAG]);

beforeAll(async () => {
  receiver = new WebhookReceiver(await freeLoopbackPort());
  await receiver.start();
  stack = await startStack({ db: 17, workers: 2, env: { WATCH_MIN_INTERVAL_SECONDS: '1', ADMISSION_PROFILES: 'default,quick', WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', WEBHOOK_BACKOFF_BASE_MS: '200', WEBHOOK_BACKOFF_MAX_MS: '1000' } });
  api = client(stack);
}, 60_000);
afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
  try {
    execFileSync('docker', ['rmi', TAG], { stdio: 'ignore' });
  } catch {
    /* not created */
  }
});

describe('watch validation', () => {
  it.each([
    ['bad cron', 'schedule', { image: 'quarantine-samples/hello:latest', schedule: 'every night' }],
    ['cron out of range', 'schedule', { image: 'quarantine-samples/hello:latest', schedule: '61 * * * *' }],
    ['bad timezone', 'timezone', { image: 'quarantine-samples/hello:latest', timezone: 'Mars/Olympus' }],
    ['bad image', 'image', { image: 'Not An Image' }],
    ['unknown profile', 'profile', { image: 'quarantine-samples/hello:latest', profile: 'nope' }],
    ['unknown field', 'extra', { image: 'quarantine-samples/hello:latest', extra: 1 }],
  ])('refuses %s with 400 naming %s', async (_name, field, body) => {
    const res = await api.call('POST', '/v1/watches', body);
    expect(res.status).toBe(400);
    expect(res.json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('defaults to nightly 02:00 UTC and answers 404 / 400 for unknown and malformed ids', async () => {
    const w = await api.call('POST', '/v1/watches', { image: 'quarantine-samples/hello:latest', timezone: 'Europe/Paris' });
    expect(w.status).toBe(201);
    expect(w.json).toMatchObject({ schedule: '0 2 * * *', timezone: 'Europe/Paris', profile: 'default' });
    expect(new Date(w.json.nextRunAt).getTime()).toBeGreaterThan(Date.now());
    expect((await api.call('DELETE', `/v1/watches/${w.json.id}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/watches/${w.json.id}`)).status).toBe(404);
    expect((await api.call('POST', `/v1/watches/${w.json.id}/run`)).status).toBe(404);
    expect((await api.call('GET', '/v1/watches/xyz')).json.details[0].field).toBe('id');
  });
});

describe('scheduled rescans', () => {
  it('fire on a short cron, once per tick across two workers, survive a worker restart, and stop when the watch is deleted', async () => {
    // An image that is not present: each rescan fails at resolution in milliseconds, no sandbox.
    const created = Date.now();
    const w = (await api.call('POST', '/v1/watches', { image: 'quarantine-test/wt5-never-built:latest', schedule: '*/1 * * * * *', profile: 'quick' })).json;
    const runs = async () => (await api.call('GET', `/v1/watches/${w.id}`)).json.runs as { analysisId: string; status: string; trigger: string }[];
    await waitFor(async () => (await runs()).length >= 3, 20_000, () => stack.logs().slice(-3000));
    // Every worker stops; a fresh one picks the schedule up from Redis.
    await Promise.all(stack.workers.map((p) => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); })));
    const before = (await runs()).length;
    await stack.startWorker();
    await waitFor(async () => (await runs()).length >= before + 2, 20_000);
    expect((await api.call('DELETE', `/v1/watches/${w.id}`)).status).toBe(204);
    const elapsedS = (Date.now() - created) / 1000;
    const all = await api.call('GET', '/v1/analyses?image=quarantine-test/wt5-never-built:latest&limit=100');
    const n = all.json.items.length;
    // At most one analysis per elapsed second: two workers never ran the same tick twice.
    expect(n).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    expect(new Set(all.json.items.map((a: { id: string }) => a.id)).size).toBe(n);
    expect(all.json.items.every((a: { watchId: string; submittedBy: string }) => a.watchId === w.id && a.submittedBy === `watch:${w.id}`)).toBe(true);
    await new Promise((r) => setTimeout(r, 2500));
    const after = await api.call('GET', '/v1/analyses?image=quarantine-test/wt5-never-built:latest&limit=100');
    expect(after.json.items.length).toBeLessThanOrEqual(n + 1); // at most a tick already in flight at deletion
    const later = after.json.items.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.call('GET', '/v1/analyses?image=quarantine-test/wt5-never-built:latest&limit=100')).json.items.length).toBe(later);
  }, 90_000);
});

describe('drift and tickets', () => {
  it('detects drift between two images under the same tag; one ticket per finding set; a clean rescan resolves it', async () => {
    receiver.on('/jira/rest/api/2/issue', (r) => (r.path.endsWith('/transitions') ? { status: 204 } : { status: 201, body: { id: '10001', key: 'SEC-1', self: 'x' } }));
    receiver.on('/snow/api/now/table/incident', (r) => (r.method === 'PATCH' ? { status: 200, body: { result: { state: '6' } } } : { status: 201, body: { result: { sys_id: 'abc123', number: 'INC0010001' } } }));
    const sub = (body: object) => api.call('POST', '/v1/webhooks', body).then((r) => {
      expect(r.status).toBe(201);
      return r.json.id as string;
    });
    await sub({ url: `${receiver.url}/events`, events: ['analysis.completed', 'drift.detected', 'verdict.changed'], filter: { image: 'quarantine-test/*' } });
    const jira = await sub({ url: `${receiver.url}/jira/rest/api/2/issue`, events: ['analysis.completed'], format: 'jira', ticket: { projectKey: 'SEC', labels: ['containers'], authorization: 'Bearer jira-token' } });
    await sub({ url: `${receiver.url}/snow/api/now/table/incident`, events: ['analysis.completed'], format: 'servicenow' });

    tagAs('quarantine-samples/shadow-reader:latest');
    const w = (await api.call('POST', '/v1/watches', { image: TAG, profile: 'quick' })).json;
    const rescan = async (n: number) => {
      expect((await api.call('POST', `/v1/watches/${w.id}/run`)).status).toBe(202);
      let runs: { analysisId: string }[] = [];
      await waitFor(async () => (runs = (await api.call('GET', `/v1/watches/${w.id}`)).json.runs).length === n, 20_000);
      const done = await api.waitDone(runs[0].analysisId);
      await waitFor(() => receiver.at('/events').some((r) => r.json.type === 'analysis.completed' && r.json.data.analysisId === done.id), 20_000);
      return done;
    };
    const jiraCreates = () => receiver.received.filter((r) => r.path === '/jira/rest/api/2/issue');
    const snowCreates = () => receiver.received.filter((r) => r.path === '/snow/api/now/table/incident');

    const first = await rescan(1);
    expect(['suspicious', 'malicious']).toContain(first.verdict);
    await waitFor(() => jiraCreates().length === 1 && snowCreates().length === 1, 20_000);
    const issue = jiraCreates()[0].json.fields;
    expect(issue).toMatchObject({ project: { key: 'SEC' }, issuetype: { name: 'Bug' }, labels: expect.arrayContaining(['quarantine', 'containers']), priority: { name: expect.stringMatching(/Highest|High/) } });
    expect(issue.description).toContain(first.findings[0].rule);
    expect(issue.description).toContain(`/v1/analyses/${first.id}/report`);
    expect(jiraCreates()[0].headers.authorization).toBe('Bearer jira-token');
    expect(snowCreates()[0].json).toMatchObject({ urgency: expect.stringMatching(/^[12]$/), impact: expect.stringMatching(/^[12]$/), short_description: expect.stringContaining('quarantine-test/wt5-drift') });
    await waitFor(async () => (await api.call('GET', `/v1/webhooks/${jira}/deliveries`)).json.items.every((d: { status: string }) => d.status === 'delivered'), 10_000);

    // Same image again: same findings, no drift, no new ticket.
    const second = await rescan(2);
    expect(second.digest).toBe(first.digest);
    await new Promise((r) => setTimeout(r, 1500));
    expect(jiraCreates()).toHaveLength(1);
    expect(snowCreates()).toHaveLength(1);
    expect(receiver.at('/events').some((r) => r.json.type === 'drift.detected')).toBe(false);
    expect((await api.call('GET', `/v1/analyses/${second.id}/report`)).json.drift).toMatchObject({ changed: false, previousAnalysisId: first.id, digestChanged: false });

    // A different image pushed under the same tag: a new digest, drift, and a clean verdict resolves the tickets.
    tagAs('quarantine-samples/hello:latest');
    const third = await rescan(3);
    expect(third.verdict).toBe('clean');
    expect(third.digest).not.toBe(first.digest);
    await waitFor(() => receiver.at('/events').some((r) => r.json.type === 'drift.detected'), 20_000);
    const drift = receiver.at('/events').find((r) => r.json.type === 'drift.detected')!.json.data.drift;
    expect(drift).toMatchObject({ changed: true, digestChanged: true, previousAnalysisId: second.id, analysisId: third.id, findings: { removed: expect.arrayContaining([first.findings[0].rule]) } });
    expect(drift.score.delta).toBeLessThan(0);
    expect(drift.newExecutables.length).toBeGreaterThan(0);
    expect((await api.call('GET', `/v1/analyses/${third.id}/report`)).json.drift).toEqual(drift);
    expect(receiver.at('/events').some((r) => r.json.type === 'verdict.changed' && r.json.data.analysisId === third.id)).toBe(true);
    await waitFor(() => receiver.received.some((r) => r.path === '/jira/rest/api/2/issue/SEC-1/transitions') && receiver.received.some((r) => r.path === '/snow/api/now/table/incident/abc123'), 20_000);
    expect(receiver.received.find((r) => r.path === '/jira/rest/api/2/issue/SEC-1/transitions')!.json).toMatchObject({ transition: { id: '31' } });
    const resolved = receiver.received.find((r) => r.path === '/snow/api/now/table/incident/abc123')!;
    expect(resolved.method).toBe('PATCH');
    expect(resolved.json).toMatchObject({ state: '6' });
    expect(jiraCreates()).toHaveLength(1);
  }, 120_000);
});
