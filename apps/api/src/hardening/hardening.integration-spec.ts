import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createBpftraceParser } from '#analysis/probes/bpftrace-parser';
import { parseText } from '#analysis/probes/trace-parser';
import { SyscallRecorder } from '#analysis/hardening/syscall-set';
import { syscallCoverage } from '#sandbox/probes/syscall-coverage';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { type ApiApp, startApiApp } from '../../../../test/support/api-app.js';
import { hardeningSchemaProblems } from '../../../../test/support/hardening-schemas.js';
import { validateK8sObject } from '../../../../test/support/k8s-schema.js';

// GET /v1/analyses/:id/seccomp and /networkpolicy, and `seccompFrom` on submission, through the real
// Nest app (guards, pipes, error filter) with real Redis and the artifact store: analyses and their
// reports are written the way the worker stores them (the shapes of a real strace run's report).

let t: ApiApp;
let repo: AnalysisRepository;
let artifacts: ArtifactStore;
const auth = () => ({ authorization: `Bearer ${t.adminKey}` });

beforeAll(async () => {
  t = await startApiApp({ db: 26 });
  repo = new AnalysisRepository(t.redis);
  artifacts = new ArtifactStore(t.config.artifactDir);
}, 30_000);
afterAll(async () => t?.close());

const STRACE_RECORD = {
  v: 1, arch: 'x86_64', probe: 'strace', names: ['accept4', 'bind', 'epoll_wait', 'execve', 'listen', 'openat', 'read', 'socket', 'write'], compatAbis: [],
  unrecorded: ['brk', 'futex', 'rt_sigaction'], complete: true, unknown: [],
};
/**
 * A default-profile (ebpf) run's record, built as the worker builds it from a real libbpf-engine
 * trace (the syscall-set sample: getcwd, uname, sysinfo, getpriority, times, which the probe has
 * no events for, are only in its C record). `withSet: false` drops the C record (a tracer killed
 * before writing it).
 */
function ebpfRecord(withSet: boolean): Record<string, unknown> {
  const text = readFileSync('libs/analysis/src/probes/__fixtures__/ebpf/syscall-set.bpftrace.json', 'utf8').split('\n').filter((l) => withSet || !l.includes('"data": "C\\t')).join('\n');
  const parsed = parseText(createBpftraceParser, text);
  const rec = new SyscallRecorder();
  for (const e of parsed.events) rec.observe(e);
  if (parsed.syscallSet) rec.observeSet(parsed.syscallSet);
  return rec.record('ebpf', syscallCoverage('ebpf', rec.hasSet)) as unknown as Record<string, unknown>;
}

const NETWORK = {
  mode: 'simulated',
  connections: [
    { syscall: 'listen', family: 'ipv4', address: '0.0.0.0', result: 'ok', port: 8080, l4proto: 'tcp' },
    { syscall: 'sendto', family: 'ipv4', address: '10.77.0.1', result: 'ok', port: 53, l4proto: 'udp' },
    { syscall: 'connect', family: 'ipv4', address: '10.77.0.1', result: 'ok', port: 443, l4proto: 'tcp' },
  ],
  dns: [{ name: 'api.example.com', type: 'A', answers: ['10.77.0.1'] }],
};

async function analysis(over: Partial<AnalysisRecord>, report: Record<string, unknown> | null = { syscalls: STRACE_RECORD, network: NETWORK }): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await repo.create({
    id, image: 'quarantine-samples/debian-nginx:latest', digest: null, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc', status: 'completed', phase: 'done',
    verdict: 'clean', score: 0, findings: [], labels: {}, priority: 5, rulesVersion: null, createdAt: now, startedAt: now, finishedAt: now, attempts: 1, error: null,
    submittedBy: 'test', owner: 'bootstrap-admin', ...over,
  } as AnalysisRecord);
  if (report) await artifacts.writeJson(id, 'report.json', { analysisId: id, verdict: over.verdict ?? 'clean', ...report });
  return id;
}

describe('GET /v1/analyses/:id/seccomp', () => {
  it('gives the Docker/OCI profile of a clean strace run: default deny, its syscalls + the probe noise list + the runtime baseline', async () => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/seccomp`).set(auth());
    expect(res.status).toBe(200);
    expect(hardeningSchemaProblems('seccomp', res.body)).toEqual([]);
    expect(res.body).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
    expect(res.body.syscalls[0].names).toEqual(expect.arrayContaining([...STRACE_RECORD.names, ...STRACE_RECORD.unrecorded, 'fstatfs', 'getdents64']));
    expect(res.body.syscalls[0].names).not.toContain('ptrace');
  });

  it('gives the profile of a clean default-profile (ebpf) run from its syscall set, calls it has no events for included', async () => {
    const id = await analysis({ probe: 'ebpf' }, { syscalls: ebpfRecord(true), network: NETWORK });
    const res = await t.http.get(`/v1/analyses/${id}/seccomp`).set(auth());
    expect(res.status).toBe(200);
    expect(hardeningSchemaProblems('seccomp', res.body)).toEqual([]);
    expect(res.body.syscalls[0].names).toEqual(expect.arrayContaining(['getcwd', 'uname', 'sysinfo', 'getpriority', 'times', 'arch_prctl', 'execve']));
    expect(res.body.syscalls[0].names).not.toContain('ptrace');
  });

  it('?format=spo gives the SeccompProfile object, named and namespaced as asked', async () => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/seccomp?format=spo&name=web-profile&namespace=shop`).set(auth());
    expect(res.status).toBe(200);
    expect(hardeningSchemaProblems('spo', res.body)).toEqual([]);
    expect(res.body.metadata).toMatchObject({ name: 'web-profile', namespace: 'shop' });
  });

  it.each([
    ['a malicious analysis', { verdict: 'malicious' as const }, undefined, 400, /is malicious, not clean: a profile from it would allow the behaviour/],
    ['an inconclusive analysis', { verdict: 'inconclusive' as const }, undefined, 400, /inconclusive, not clean: the run could not see enough/],
    ['a suspicious analysis', { verdict: 'suspicious' as const }, undefined, 400, /suspicious, not clean/],
    ['a rejected image', { status: 'rejected' as const, verdict: null }, undefined, 400, /rejected by the supply-chain gate/],
    ['a failed analysis', { status: 'failed' as const, verdict: 'error' as const }, undefined, 400, /is failed/],
    ['a queued analysis', { status: 'queued' as const, verdict: null }, undefined, 409, /is queued/],
    ['a running analysis', { status: 'running' as const, verdict: null }, undefined, 409, /is running/],
    ['a clean ebpf run whose trace lacks the syscall set', { probe: 'ebpf' }, { syscalls: ebpfRecord(false) }, 400, /could not see every syscall: the ebpf trace has no syscall-set record/],
    ['a clean run from before syscall recording', {}, { network: NETWORK }, 400, /no syscall record/],
    ['a clean run whose service never accepted the connection stimulation made', {}, { syscalls: { ...STRACE_RECORD, names: STRACE_RECORD.names.filter((n) => n !== 'accept4') }, network: NETWORK, stimulation: { enabled: true, ports: [{ port: 6379, address: '127.0.0.1', source: 'exposed+listening', kind: 'tcp', requests: [] }], truncated: false } }, 400, /connected to port 6379 but the trace has no accept/],
    ['a clean run that never listened on its exposed port', {}, { syscalls: STRACE_RECORD, network: NETWORK, stimulation: { enabled: true, ports: [{ port: 5432, address: '127.0.0.1', source: 'exposed', kind: 'not-listening', requests: [] }], truncated: false } }, 400, /never saw the image listen on its exposed port 5432/],
  ])('refuses %s with a clear message', async (_n, over, report, status, message) => {
    const id = await analysis(over, report ?? { syscalls: STRACE_RECORD, network: NETWORK });
    const res = await t.http.get(`/v1/analyses/${id}/seccomp`).set(auth());
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code: status === 409 ? 'conflict' : 'validation_failed' });
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['format=yaml', 'format'],
    ['name=Not_A_Name', 'name'],
    ['namespace=a.b', 'namespace'],
    ['format=spo&format=docker', 'format'],
    ['extra=1', 'extra'],
  ])('refuses ?%s naming %s', async (qs, field) => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/seccomp?${qs}`).set(auth());
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('404 for an unknown analysis, 400 for a malformed id', async () => {
    expect((await t.http.get(`/v1/analyses/${randomUUID()}/seccomp`).set(auth())).status).toBe(404);
    const bad = await t.http.get('/v1/analyses/not-a-uuid/seccomp').set(auth());
    expect({ status: bad.status, field: bad.body.details?.[0]?.field }).toEqual({ status: 400, field: 'id' });
  });
});

describe('GET /v1/analyses/:id/networkpolicy', () => {
  it('gives a schema-valid NetworkPolicy selecting the given labels', async () => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/networkpolicy?selector=app=web,tier=front&namespace=shop`).set(auth());
    expect(res.status).toBe(200);
    expect(await validateK8sObject(res.body)).toEqual([]);
    expect(res.body.spec).toMatchObject({ podSelector: { matchLabels: { app: 'web', tier: 'front' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }] });
    expect(res.body.metadata.annotations['quarantine.io/egress-names']).toBe('api.example.com');
  });

  it('?format=cilium gives a CiliumNetworkPolicy with FQDN egress', async () => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/networkpolicy?format=cilium&selector=app=web`).set(auth());
    expect(res.status).toBe(200);
    expect(hardeningSchemaProblems('cilium', res.body)).toEqual([]);
    expect(res.body.spec.egress[0]).toEqual({ toFQDNs: [{ matchName: 'api.example.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] });
  });

  it.each([
    ['app!=web', /only equality/],
    ['app=has space', /not a valid label value/],
    [`${'k=v,'.repeat(20)}k=v`, /at most 1024|at most 16 terms/],
    ['x'.repeat(1100), /1024/],
  ])('refuses selector %#, naming `selector`', async (sel, message) => {
    const id = await analysis({});
    const res = await t.http.get(`/v1/analyses/${id}/networkpolicy`).query({ selector: sel }).set(auth());
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe('selector');
    expect(res.body.details[0].message).toMatch(message);
  });

  it('refuses a malicious analysis, and a run whose network view was incomplete', async () => {
    const bad = await t.http.get(`/v1/analyses/${await analysis({ verdict: 'malicious' })}/networkpolicy`).set(auth());
    expect({ status: bad.status, message: bad.body.message }).toEqual({ status: 400, message: expect.stringMatching(/not clean/) });
    const inc = await analysis({}, { syscalls: STRACE_RECORD, network: { ...NETWORK, incomplete: 'the network simulator died' } });
    const res = await t.http.get(`/v1/analyses/${inc}/networkpolicy`).set(auth());
    expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(/network view was incomplete \(the network simulator died\)/) });
  });
});

describe('POST /v1/analyses with seccompFrom', () => {
  it('queues a run under the profile of a clean default-profile (ebpf) analysis', async () => {
    const from = await analysis({ probe: 'ebpf' }, { syscalls: ebpfRecord(true), network: NETWORK });
    const res = await t.http.post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/debian-nginx:latest', seccompFrom: from });
    expect(res.status).toBe(202);
    expect(res.body.seccompFrom).toBe(from);
  });

  it('queues a run under a clean analysis profile; it never counts for admission', async () => {
    const from = await analysis({});
    const res = await t.http.post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/debian-nginx:latest', probe: 'strace', seccompFrom: from });
    expect(res.status).toBe(202);
    expect(res.body.seccompFrom).toBe(from);
    await repo.update(res.body.id, { status: 'completed', verdict: 'clean', score: 0 });
    const got = await t.http.get(`/v1/analyses/${res.body.id}`).set(auth());
    expect({ counts: got.body.countsForAdmission, reason: got.body.admissionReason }).toEqual({ counts: false, reason: expect.stringMatching(/seccomp profile generated from analysis/) });
  });

  it.each([
    ['a malicious source', async () => analysis({ verdict: 'malicious' }), {}, /not clean/],
    ['an ebpf source without its syscall set', async () => analysis({ probe: 'ebpf' }, { syscalls: ebpfRecord(false) }), {}, /could not see every syscall/],
    ['an unknown source', async () => randomUUID(), {}, /does not exist/],
    ['gVisor (runsc filters its own syscalls)', async () => analysis({}), { probe: 'gvisor' }, /needs the runc runtime/],
    ['not a UUID', async () => 'nope', {}, /must be an analysis id/],
  ])('refuses %s, naming seccompFrom', async (_n, source, extra, message) => {
    const res = await t.http.post('/v1/analyses').set(auth()).send({ image: 'quarantine-samples/debian-nginx:latest', seccompFrom: await source(), ...extra });
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toEqual({ field: 'seccompFrom', message: expect.stringMatching(message) });
  });
});
