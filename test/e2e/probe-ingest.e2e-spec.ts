import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';

// Falco and Tracee ingestion through the real stack (API → Redis db 6 → worker → Docker sandbox →
// probe → parser → tracker → rules → verdict). Falco and Tracee cannot run on this machine, so a
// test "sensor" stands in for the host daemon: it finds the sandbox by its analysis-id label and,
// while the sample runs, appends lines written from the tools' DOCUMENTED JSON formats (not captured
// output) for that container to the file the worker reads (FALCO_EVENTS_FILE / TRACEE_EVENTS_FILE).
// Lines for another container are appended too and must be ignored.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;
let dir: string;
let falcoFile: string;
let traceeFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'q-sensors-'));
  falcoFile = join(dir, 'falco-events.json');
  traceeFile = join(dir, 'tracee-events.json');
  writeFileSync(falcoFile, '');
  writeFileSync(traceeFile, '');
  stack = await startStack({ db: 6, workers: 0, env: { PROFILES_DIR: e2eProfilesDir('4s'), FALCO_EVENTS_FILE: '', TRACEE_EVENTS_FILE: '' } });
  api = client(stack);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
  // Only this file's sandboxes: other suites may be running theirs on the same Docker.
  for (const id of submitted) {
    expect(await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } })).toEqual([]);
  }
});

const submitted: string[] = [];
async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await api.submit(body);
  expect(res.status).toBe(202);
  submitted.push(res.json.id);
  return res.json.id as string;
}

/** Waits until the analysis is observing (probe attached, sample released) and returns its container id. */
async function observedContainer(id: string): Promise<string> {
  let cid = '';
  await waitFor(async () => {
    const a = (await api.get(id)).json;
    if (a?.phase !== 'observing') return false;
    const list = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    cid = list[0]?.Id ?? '';
    return cid !== '';
  }, 30_000, () => `analysis ${id} never observed`);
  return cid;
}

const OTHER = 'f'.repeat(64);

function falcoAlert(containerId: string, now: Date): string {
  return JSON.stringify({
    hostname: 'docker-host',
    output: `${now.toISOString()}: Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow process=cat command=cat /etc/shadow container_id=${containerId})`,
    priority: 'Warning',
    rule: 'Read sensitive file untrusted',
    source: 'syscall',
    tags: ['container', 'filesystem', 'host', 'maturity_stable', 'mitre_credential_access', 'T1555'],
    time: now.toISOString().replace('Z', '123456Z'),
    output_fields: {
      'container.id': containerId, 'container.name': 'sandbox', 'evt.type': 'openat', 'evt.res': 'SUCCESS', 'fd.name': '/etc/shadow',
      'proc.name': 'cat', 'proc.exepath': '/bin/cat', 'proc.cmdline': 'cat /etc/shadow', 'proc.args': '/etc/shadow', 'proc.pid': 900101,
      'proc.ppid': 900100, 'proc.pname': 'sh', 'proc.pcmdline': 'sh -c cat /etc/shadow', 'user.name': 'root', 'user.uid': 0, 'evt.arg.flags': 'O_RDONLY',
    },
  });
}

function traceeDetection(containerId: string, now: Date): string {
  return JSON.stringify({
    timestamp: now.toISOString(),
    id: 6003,
    name: 'process_vm_write_inject',
    workload: {
      process: { executable: { path: '/bin/injector' }, host_pid: 900201, pid: 7, real_user: { id: 0 }, thread: { name: 'injector', host_tid: 900201, tid: 7 }, ancestors: [{ host_pid: 900200, pid: 1 }] },
      container: { id: containerId, name: 'sandbox', started: true },
    },
    data: [{ name: 'src_pid', int32: 7 }, { name: 'dst_pid', int32: 1 }],
    threat: {
      description: 'An attempt to inject code into another process using process_vm_writev was detected.',
      mitre: { tactic: { name: 'Defense Evasion' }, technique: { id: 'T1055', name: 'Process Injection' } },
      severity: 3,
      name: 'Code injection',
      properties: { signatureID: 'TRC-1025' },
    },
  });
}

describe('falco ingestion', () => {
  it('ends with Falco\'s finding and a non-clean verdict', async () => {
    const w = await stack.startWorker({ FALCO_EVENTS_FILE: falcoFile });
    const id = await submit({ image: 'quarantine-samples/server:latest', profile: 'e2e', probe: 'falco' });
    const cid = await observedContainer(id);
    const now = new Date();
    appendFileSync(falcoFile, `${falcoAlert(OTHER.slice(0, 12), now)}\n${falcoAlert(cid.slice(0, 12), now)}\n`);
    const a = await api.waitDone(id);
    expect(a.status).toBe('completed');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    const f = a.findings.find((x: { rule: string }) => x.rule === 'Read sensitive file untrusted');
    expect(f).toMatchObject({ priority: 'warning', count: 1 });
    expect(f.tags).toEqual(expect.arrayContaining(['T1555', 'source:falco']));
    expect(f.points).toBeGreaterThan(0);
    const report = (await api.call('GET', `/v1/analyses/${id}/report`)).json;
    expect(report.probe).toMatchObject({ name: 'falco', complete: true, lost: 0 });
    expect(report.probe.unavailableFields).toContain('proc.is_exe_upper_layer');
    // Only this container's line was copied (the other container's alert was left out).
    expect(report.probe.parser.alerts).toBe(1);
    expect(report.exit.entrypoint.started).toBe(true);
    w.kill('SIGTERM');
    await new Promise((r) => w.once('exit', r));
  }, 90_000);
});

describe('tracee ingestion', () => {
  it('ends with Tracee\'s detection as a finding and a non-clean verdict', async () => {
    const w = await stack.startWorker({ TRACEE_EVENTS_FILE: traceeFile });
    const id = await submit({ image: 'quarantine-samples/server:latest', profile: 'e2e', probe: 'tracee' });
    const cid = await observedContainer(id);
    const now = new Date();
    appendFileSync(traceeFile, `${traceeDetection(OTHER, now)}\n${traceeDetection(cid, now)}\n`);
    const a = await api.waitDone(id);
    expect(a.status).toBe('completed');
    expect(['suspicious', 'malicious']).toContain(a.verdict);
    const f = a.findings.find((x: { rule: string }) => x.rule === 'Code injection');
    expect(f).toMatchObject({ priority: 'error', count: 1 });
    expect(f.tags).toEqual(expect.arrayContaining(['T1055', 'source:tracee']));
    const report = (await api.call('GET', `/v1/analyses/${id}/report`)).json;
    expect(report.probe).toMatchObject({ name: 'tracee', complete: true });
    expect(report.probe.parser.detections).toBe(1);
    w.kill('SIGTERM');
    await new Promise((r) => w.once('exit', r));
  }, 90_000);
});

describe('without the sensor file', () => {
  it.each(['falco', 'tracee'])('%s → inconclusive (probe failed to start)', async (probe) => {
    const w = await stack.startWorker({ FALCO_EVENTS_FILE: join(dir, 'missing.json'), TRACEE_EVENTS_FILE: '' });
    const id = await submit({ image: 'quarantine-samples/hello:latest', profile: 'e2e', probe });
    const a = await api.waitDone(id, 80_000);
    expect(a).toMatchObject({ status: 'completed', verdict: 'inconclusive' });
    expect(a.error).toMatch(/probe failed to start/);
    const report = (await api.call('GET', `/v1/analyses/${id}/report`)).json;
    expect(report.probe.startError).toMatch(probe === 'falco' ? /FALCO_EVENTS_FILE/ : /TRACEE_EVENTS_FILE is not set/);
    w.kill('SIGTERM');
    await new Promise((r) => w.once('exit', r));
  }, 100_000);
});
