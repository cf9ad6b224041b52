import Docker from 'dockerode';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';

// Full pipeline on real parts: API process → BullMQ on real Redis → worker process → real Docker
// sandbox traced by real strace → parser → state tracker → shipped Falco-format rules → verdict.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  stack = await startStack({ db: 12, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('4s'), WORKER_CONCURRENCY: '2', ADMISSION_PROFILES: 'default,e2e' } });
  api = client(stack);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  const left = await docker.listContainers({ all: true, filters: { label: ['org.quarantine.managed=true'] } });
  expect(left).toEqual([]);
});

async function detonate(image: string, profile = 'e2e') {
  const res = await api.submit({ image, profile });
  expect(res.status).toBe(202);
  return api.waitDone(res.json.id);
}

function tagsOf(a: { findings: { tags: string[] }[] }): string[] {
  return a.findings.flatMap((f) => f.tags);
}

describe('benign samples come out clean', () => {
  it.each(['hello', 'tmpwriter', 'cpu', 'shell-script', 'user-app', 'server'])('%s', async (name) => {
    const a = await detonate(`quarantine-samples/${name}:latest`);
    expect(a.status).toBe('completed');
    expect({ verdict: a.verdict, findings: a.findings.map((f: { rule: string }) => f.rule) }).toEqual({ verdict: 'clean', findings: expect.any(Array) });
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 60_000);
});

describe('malicious samples are caught by the findings that describe them', () => {
  it.each([
    ['shadow-reader', 'T1003.008'],
    ['revshell', 'T1059'],
    ['etc-writer', 'T1574.006'],
    ['memfd-exec', 'T1620'],
    ['dropper', 'T1105'],
    ['cron-persist', 'T1053.003'],
    ['stealth-implant', 'T1036.004'],
    ['escape-probe', 'T1611'],
  ])('%s → not clean, tagged %s', async (name, technique) => {
    const a = await detonate(`quarantine-samples/${name}:latest`);
    expect(a.status).toBe('completed');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    expect(a.score).toBeGreaterThan(0);
    expect(tagsOf(a).some((t) => t === technique || t.startsWith(`${technique}.`))).toBe(true);
  }, 60_000);

  it('reverse shell and shadow read are malicious outright', async () => {
    for (const name of ['revshell', 'shadow-reader']) {
      const a = await detonate(`quarantine-samples/${name}:latest`);
      expect(a.verdict).toBe('malicious');
    }
  }, 90_000);
});

describe('report, events and verdict cache', () => {
  it('serves the report with findings, evidence, process tree, files, network, exit, probe stats, timings and rules version', async () => {
    const a = await detonate('quarantine-samples/revshell:latest');
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report.analysisId).toBe(a.id);
    expect(report.verdict).toBe(a.verdict);
    expect(report.rulesVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings[0].evidence.length).toBeGreaterThan(0);
    expect(report.findings[0].evidence[0]).toMatchObject({ v: 1, source: 'strace' });
    expect(report.processTree.length).toBeGreaterThan(0);
    expect(report.network.connections.some((n: { address: string; port: number }) => n.address === '10.66.66.66' && n.port === 4444)).toBe(true);
    expect(report.exit).toHaveProperty('exitCode');
    expect(report.probe).toMatchObject({ name: 'strace' });
    expect(report.probe.events).toBeGreaterThan(0);
    expect(report.timings.totalMs).toBeGreaterThan(0);
    expect(report.scoring.contributions.reduce((s: number, c: { points: number }) => s + c.points, 0)).toBeGreaterThanOrEqual(a.score);

    const ev = await fetch(`${stack.base}/v1/analyses/${a.id}/events`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(ev.status).toBe(200);
    expect(ev.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await ev.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(report.probe.events);
    expect(lines[0]).toMatchObject({ v: 1, seq: 1, type: 'execve' });
    expect(lines.some((e) => e.type === 'connect' && String(e.fd?.name ?? e.args.addr ?? '').includes('10.66.66.66'))).toBe(true);

    const cached = JSON.parse((await stack.redis.get(`q:verdict:${a.digest}`))!);
    expect(cached).toMatchObject({ verdict: a.verdict, analysisId: a.id, rulesVersion: report.rulesVersion });
  }, 60_000);
});

describe('containment', () => {
  it('ends a sample that sleeps forever at the window, with a finding for it', async () => {
    const t0 = Date.now();
    const a = await detonate('quarantine-samples/sleeper:latest');
    expect(Date.now() - t0).toBeLessThan(20_000);
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report.exit.windowExpired).toBe(true);
    expect(a.status).toBe('completed');
  }, 60_000);

  it('contains a fork bomb: pids limit hit is a finding and the host stays healthy', async () => {
    const a = await detonate('quarantine-samples/forkbomb:latest');
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report.limits.pidsLimitHits).toBeGreaterThan(0);
    expect(a.verdict).not.toBe('clean');
    expect((await fetch(`${stack.base}/readyz`)).status).toBe(200);
    const hello = await detonate('quarantine-samples/hello:latest');
    expect(hello.verdict).toBe('clean');
  }, 90_000);

  it('caps a sample that writes endless output', async () => {
    const a = await detonate('quarantine-samples/spammer:latest');
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report.output.stdoutTruncated).toBe(true);
    expect(Buffer.byteLength(report.output.stdout)).toBeLessThanOrEqual(4096);
    expect(a.status).toBe('completed');
  }, 60_000);

  it('cancels a running analysis: the sandbox is killed and removed', async () => {
    const { json } = await api.submit({ image: 'quarantine-samples/sleeper:latest', profile: 'quick' });
    await waitFor(async () => (await api.get(json.id)).json.phase === 'observing', 30_000);
    const del = await api.call('DELETE', `/v1/analyses/${json.id}`);
    expect(del.json.status).toBe('cancelled');
    await waitFor(async () => (await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${json.id}`] } })).length === 0, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await api.get(json.id)).json.status).toBe('cancelled');
  }, 60_000);

  it('fails an image that is not present locally with a clear error, without retrying', async () => {
    const a = await detonate('quarantine-samples/does-not-exist:1');
    expect(a).toMatchObject({ status: 'failed', verdict: 'error', attempts: 1 });
    expect(a.error).toMatch(/not present locally/);
  }, 30_000);
});

describe('a worker killed mid-analysis does not lose the analysis', () => {
  it('another worker picks the job up and finishes it; no sandbox is left', async () => {
    // A worker with a short lock so the stalled job is noticed quickly.
    const [w0] = stack.workers;
    const fast = await stack.startWorker({ WORKER_LOCK_MS: '3000' });
    w0.kill('SIGKILL');
    const { json } = await api.submit({ image: 'quarantine-samples/sleeper:latest', profile: 'e2e' });
    await waitFor(async () => (await api.get(json.id)).json.phase === 'observing', 30_000);
    fast.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await stack.startWorker({ WORKER_LOCK_MS: '3000' });
    const a = await api.waitDone(json.id, 60_000);
    expect(a.status).toBe('completed');
    expect(a.attempts).toBeGreaterThanOrEqual(2);
    const left = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${json.id}`] } });
    expect(left).toEqual([]);
  }, 120_000);
});
