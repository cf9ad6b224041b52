import Docker from 'dockerode';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack } from '../support/stack.js';

// A trace that cannot be trusted is `inconclusive`, never `clean`: the probe failed to start, or
// the sample never started.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  buildBusyboxImage('quarantine-test/no-entrypoint:latest', ['/does/not/exist']);
  // /bin/false stands in for a probe binary that cannot attach.
  stack = await startStack({ db: 15, workers: 0, env: { PROFILES_DIR: e2eProfilesDir('4s') } });
  api = client(stack);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  expect(await docker.listContainers({ all: true, filters: { label: ['org.quarantine.managed=true'] } })).toEqual([]);
});

describe('inconclusive', () => {
  it('when the entrypoint never starts', async () => {
    const w = await stack.startWorker();
    const { json } = await api.submit({ image: 'quarantine-test/no-entrypoint:latest', profile: 'e2e' });
    const a = await api.waitDone(json.id);
    expect(a).toMatchObject({ status: 'completed', verdict: 'inconclusive' });
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report.exit.entrypoint.started).toBe(false);
    expect(report.scoring.reasons.join(' ')).toMatch(/start/i);
    w.kill('SIGTERM');
    await new Promise((r) => w.once('exit', r));
  }, 60_000);

  it('when the probe fails to start, after the retries', async () => {
    await stack.startWorker({ STRACE_BINARY: '/bin/false' });
    const { json } = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'e2e' });
    const a = await api.waitDone(json.id, 60_000);
    expect(a).toMatchObject({ status: 'completed', verdict: 'inconclusive' });
    expect(a.error).toMatch(/probe failed to start/);
    expect(a.attempts).toBe(3);
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    expect(report).toMatchObject({ verdict: 'inconclusive', probe: { complete: false } });
    expect(report.probe.startError).toMatch(/strace/);
  }, 90_000);
});
