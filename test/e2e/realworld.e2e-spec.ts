import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { e2eProfilesDir } from '../support/profiles.js';
import { DANGEROUS_SYSCALLS } from '../support/dangerous-syscalls.js';
import { hardeningSchemaProblems } from '../support/hardening-schemas.js';
import { validateK8sObject } from '../support/k8s-schema.js';
import { orphanSimulators } from '../support/netsim.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';

// False-positive check on real-world-shaped images: Debian 12 service images built from Debian
// packages by test/samples/debian/build.sh (nginx with the official entrypoint scripts, redis with a
// gosu privilege drop, python http.server as a non-root user, postgres running initdb on first
// start, a cron service whose entrypoint creates its user and renders its config, Apache httpd
// started like the official php:apache image, a Node.js JSON API under tini that retries its
// unreachable database, and MariaDB initialising its data directory like the official image). Ordinary
// services must come out clean through the whole real stack: API → BullMQ/Redis → worker → Docker
// sandbox traced by strace → parser → state tracker → shipped rules → verdict.
//
// Each test also checks that the service really started and was still running when the window
// closed, so an image that crashed at start cannot pass by doing nothing.
const docker = new Docker();
let stack: Stack;
let api: ReturnType<typeof client>;

interface Case {
  image: string;
  /**
   * e2e: 8 s window, 64m, 32 pids. service: the default profile's limits (256m, 128 pids) with an 8 s window,
   * for multi-process, multi-threaded servers. slow-start: the default profile's limits and 30 s window, 512m trace budget.
   */
  profile: 'e2e' | 'service' | 'slow-start';
  /** Executables that must have run (basename of an execve'd path). */
  ran: string[];
}

const CASES: Case[] = [
  { image: 'debian-nginx', profile: 'e2e', ran: ['docker-entrypoint.sh', '10-listen-on-ipv6-by-default.sh', '20-envsubst-on-templates.sh', 'envsubst', 'sed', 'nginx'] },
  { image: 'debian-redis', profile: 'e2e', ran: ['docker-entrypoint.sh', 'find', 'gosu', 'redis-server'] },
  { image: 'debian-python-http', profile: 'e2e', ran: ['python3'] },
  { image: 'debian-cron-app', profile: 'e2e', ran: ['docker-entrypoint.sh', 'useradd', 'groupadd', 'chown', 'envsubst', 'sed', 'cron'] },
  // mpm_event: 2 children × 25 worker threads + listeners need more than the e2e profile's 32 pids.
  { image: 'debian-apache', profile: 'service', ran: ['docker-php-entrypoint', 'apache2-foreground', 'mkdir', 'apache2'] },
  { image: 'debian-node-app', profile: 'e2e', ran: ['tini', 'node'] },
  // initdb, a temporary server, psql and the init scripts take longer than 8 s under strace.
  { image: 'debian-postgres', profile: 'slow-start', ran: ['docker-entrypoint.sh', 'gosu', 'initdb', 'pg_ctl', 'psql', 'postgres'] },
  // mariadb-install-db, a temporary server, the client running the init SQL, then the real server.
  { image: 'debian-mariadb', profile: 'slow-start', ran: ['docker-entrypoint.sh', 'gosu', 'mariadb-install-db', 'mariadb', 'mariadbd'] },
];

beforeAll(async () => {
  // Fail with a clear message rather than "image not present" per test.
  const missing = CASES.map((c) => `quarantine-samples/${c.image}:latest`).filter((tag) => {
    try {
      execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`missing images (run test/samples/debian/build.sh): ${missing.join(', ')}`);

  // Under the simulated network, as the default profile runs them (docs/network.md).
  const profiles = e2eProfilesDir('8s', undefined, 'simulated');
  // Like the shipped default, the window is extended while a sample only sleeps (docs/run-integrity.md):
  // cron sleeps until its next minute, so it is watched until it wakes once and sleeps again.
  const e2eYaml = join(profiles, 'e2e.yaml');
  writeFileSync(e2eYaml, readFileSync(e2eYaml, 'utf8').replace(/^  window: 8s$/m, '  window: 8s\n  maxWindow: 5m'));
  // The shipped default profile's limits: with its 30 s window for services whose first start is slow
  // (trace budget 512m: postgres' first start, initdb, writes more than the default 64m of strace
  // output), and with an 8 s window for servers that need more processes or threads than e2e's 32.
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  const defaultLimits = (name: string, window: string, trace: string, description: string) => [
    `name: ${name}`,
    `description: ${description}`,
    'runtime: runc',
    'probe: strace',
    'capabilities: default',
    'network: simulated',
    'limits:',
    '  memory: 256m',
    '  pids: 128',
    '  cpus: 1',
    `  window: ${window}`,
    '  maxWindow: 5m',
    '  output: 16k',
    `  trace: ${trace}`,
    'rules:',
    `  - ${rules}`,
    '',
  ].join('\n');
  writeFileSync(join(profiles, 'slow-start.yaml'), defaultLimits('slow-start', '30s', '512m', 'e2e — default containment and limits, 30 s window (first-start initialisation)'));
  writeFileSync(join(profiles, 'service.yaml'), defaultLimits('service', '8s', '64m', 'e2e — default containment and limits, 8 s window (multi-process servers)'));
  // Re-runs under a generated seccomp profile (ebpf: no ptrace slowdown): a service is up within a few
  // seconds, so shorter windows keep the added time small; first-start initialisation gets 20 s.
  writeFileSync(join(profiles, 'rerun.yaml'), defaultLimits('rerun', '5s', '64m', 'e2e — default limits, 5 s window (re-run under a generated seccomp profile)'));
  writeFileSync(join(profiles, 'rerun-slow.yaml'), defaultLimits('rerun-slow', '20s', '512m', 'e2e — default limits, 20 s window (re-run of a slow first start)'));
  // Two at a time (the runs mostly wait: windows, sleeping daemons), all queued at once.
  stack = await startStack({ db: 13, workers: 1, env: { PROFILES_DIR: profiles, WORKER_CONCURRENCY: '2' } });
  api = client(stack);
  for (const probe of PROBES) {
    for (const { image, profile } of CASES) {
      const res = await api.submit({ image: `quarantine-samples/${image}:latest`, profile, probe, labels: { suite: 'realworld' } });
      expect(res.status).toBe(202);
      queued.set(`${image}/${probe}`, res.json.id);
      submitted.push(res.json.id);
    }
  }
}, 60_000);

const PROBES = ['strace', 'ebpf'];
/**
 * Which clean run of an image gives the seccomp profile it is re-run under: strace's (every call but
 * its noise list) or the default probe ebpf's (its kernel-side syscall set, the C record). Both
 * sources are exercised without adding runs: each image is re-run once, under one of them.
 */
const SECCOMP_FROM: Record<string, 'strace' | 'ebpf'> = { 'debian-nginx': 'ebpf', 'debian-redis': 'ebpf', 'debian-python-http': 'ebpf' };
const seccompSource = (image: string): 'strace' | 'ebpf' => SECCOMP_FROM[image] ?? 'strace';
const queued = new Map<string, string>();
/** Per image: its strace or ebpf run's generated seccomp profile (SECCOMP_FROM), the re-run under it (docs/hardening.md), and what the first run served. */
const hardened = new Map<string, { from: string; rerun: string; profile: { syscalls: { names: string[] }[] }; served: unknown[] }>();
const submitted: string[] = [];
afterAll(async () => {
  await stack?.stop();
  // Only this suite's sandboxes: other suites may be detonating on the same Docker at the same time.
  for (const id of submitted) {
    const left = await docker.listContainers({ all: true, filters: { label: [`org.quarantine.analysis-id=${id}`] } });
    expect({ id, left: left.map((c) => c.Names) }).toEqual({ id, left: [] });
  }
  // Nor a network simulator (their namespaces and links go with them): they end with the worker.
  await waitFor(() => orphanSimulators().length === 0, 5_000, () => `network simulators left: ${orphanSimulators().join(', ')}`);
});

interface Ev {
  seq: number;
  type: string;
  res: number | string;
  rawres: number;
  pid: number;
  ppid: number;
  proc: { name: string; exe: string; args: string[]; uid: number };
  fd?: { name: string };
  args: Record<string, string | number>;
}

async function eventsOf(id: string): Promise<Ev[]> {
  const res = await fetch(`${stack.base}/v1/analyses/${id}/events`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
  expect(res.status).toBe(200);
  return (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
}

const base = (p: string) => p.split('/').pop() ?? p;

/** What the run executed: every successful execve/execveat, in order, with its process lineage. */
function execsOf(events: Ev[]) {
  const execs: { seq: number; pid: number; name: string }[] = [];
  const parent = new Map<number, number>();
  for (const e of events) {
    if (e.ppid && !parent.has(e.pid)) parent.set(e.pid, e.ppid);
    if ((e.type === 'execve' || e.type === 'execveat') && e.rawres >= 0) execs.push({ seq: e.seq, pid: e.pid, name: base(String(e.args.filename ?? e.proc.exe)) });
  }
  /** Program names of pid's ancestors (each one's latest exec before seq), nearest first. */
  const ancestors = (pid: number, seq: number): string => {
    const names: string[] = [];
    for (let p = parent.get(pid), i = 0; p && i < 12; p = parent.get(p), i++) {
      const last = execs.filter((x) => x.pid === p && x.seq < seq).pop();
      names.push(last?.name ?? `pid${p}`);
    }
    return names.join(' < ');
  };
  return { names: new Set(execs.map((x) => x.name)), ancestors };
}

/** One line per finding plus its evidence (event type, res, process, fd / args, cmdline, ancestors). */
function describeFindings(report: any, ancestors: (pid: number, seq: number) => string): string {
  const lines = [`${report.image}: verdict=${report.verdict} score=${report.score}`];
  for (const f of report.findings ?? []) {
    lines.push(`  [${f.priority}] ${f.rule} x${f.count}: ${f.output}`);
    for (const e of (f.evidence ?? []).slice(0, 3)) {
      lines.push(
        `      #${e.seq} ${e.type} res=${e.res} proc=${e.proc?.name} uid=${e.proc?.uid} fd=${e.fd?.name ?? '-'} ` +
          `args=${JSON.stringify(e.args)} cmdline=${JSON.stringify((e.proc?.args ?? []).join(' '))} ancestors=${ancestors(e.pid, e.seq)}`,
      );
    }
  }
  return lines.join('\n');
}

// Under strace (the most complete view: false positives show there first) and under ebpf, the
// shipped default profile's probe.
describe.each(PROBES)('real-world Debian service images come out clean (probe %s)', (probe) => {
  it.each(CASES)('$image ($profile)', async ({ image, ran }) => {
    const a = await api.waitDone(queued.get(`${image}/${probe}`)!, 400_000);
    expect({ status: a.status, error: a.error ?? null }).toEqual({ status: 'completed', error: null });
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    const run = execsOf(await eventsOf(a.id));
    const detail = describeFindings(report, run.ancestors);
    // REALWORLD_REPORT_DIR=/tmp/x keeps every report for analysis (findings, evidence, process tree).
    if (process.env.REALWORLD_REPORT_DIR) writeFileSync(join(process.env.REALWORLD_REPORT_DIR, `${image}.${probe}.json`), JSON.stringify(report, null, 2));
    if (a.verdict !== 'clean') console.log(detail);

    // The service started and was still up when the window closed (a crash, or a trace budget
    // overrun, would end it early).
    const output = `${report.output?.stdout ?? ''}${report.output?.stderr ?? ''}`;
    const ended = { windowExpired: report.exit.windowExpired, budgetExceeded: report.exit.budgetExceeded, oomKilled: report.exit.oomKilled };
    expect({ image, missing: ran.filter((x) => !run.names.has(x)), ...ended, output: report.exit.windowExpired ? '' : output.slice(-2000) })
      .toEqual({ image, missing: [], windowExpired: true, budgetExceeded: false, oomKilled: false, output: '' });
    expect(report.probe).toMatchObject({ name: probe, lost: 0 });

    // The verdict, with every finding and its evidence in the failure message.
    expect({ image, verdict: a.verdict, detail: a.verdict === 'clean' ? '' : detail }).toEqual({ image, verdict: 'clean', detail: '' });

    if (probe !== seccompSource(image)) return;
    // Hardening (docs/hardening.md): the clean strace or ebpf run (SECCOMP_FROM) gives a seccomp
    // profile (schema-valid, no dangerous syscall) and a NetworkPolicy; the image is queued again,
    // ahead of the rest, to run under that profile (checked in the last describe block).
    // A 400 here says why (e.g. the run never got an answer from the service: it was still starting).
    expect({ image, complete: report.syscalls?.complete, incomplete: report.syscalls?.incomplete ?? null }).toEqual({ image, complete: true, incomplete: null });
    const seccomp = await api.call('GET', `/v1/analyses/${a.id}/seccomp`);
    expect({ image, status: seccomp.status, refused: seccomp.status === 200 ? null : seccomp.json.message }).toEqual({ image, status: 200, refused: null });
    expect({ image, problems: hardeningSchemaProblems('seccomp', seccomp.json) }).toEqual({ image, problems: [] });
    const names: string[] = seccomp.json.syscalls[0].names;
    expect({ image, dangerous: names.filter((n) => DANGEROUS_SYSCALLS.includes(n)) }).toEqual({ image, dangerous: [] });
    const spo = await api.call('GET', `/v1/analyses/${a.id}/seccomp?format=spo&namespace=shop`);
    expect({ image, problems: hardeningSchemaProblems('spo', spo.json) }).toEqual({ image, problems: [] });
    const np = await api.call('GET', `/v1/analyses/${a.id}/networkpolicy?selector=app=${image}`);
    expect({ image, status: np.status, problems: await validateK8sObject(np.json) }).toEqual({ image, status: 200, problems: [] });
    const cilium = await api.call('GET', `/v1/analyses/${a.id}/networkpolicy?format=cilium&selector=app=${image}`);
    expect({ image, problems: hardeningSchemaProblems('cilium', cilium.json) }).toEqual({ image, problems: [] });
    const served = (report.stimulation?.ports ?? []).filter((p: { kind: string }) => p.kind === 'http' || p.kind === 'tcp').map((p: { port: number; kind: string }) => ({ port: p.port, kind: p.kind }));
    // Every port it served is in the NetworkPolicy's ingress.
    const ingress = (np.json.spec.ingress[0]?.ports ?? []).map((p: { port: number }) => p.port);
    expect({ image, missing: served.map((p: { port: number }) => p.port).filter((p: number) => !ingress.includes(p)) }).toEqual({ image, missing: [] });
    const profile = CASES.find((c) => c.image === image)!.profile === 'slow-start' ? 'rerun-slow' : 'rerun';
    const rerun = await api.submit({ image: `quarantine-samples/${image}:latest`, profile, probe: 'ebpf', seccompFrom: a.id, priority: 1, labels: { suite: 'realworld-seccomp' } });
    expect({ image, status: rerun.status, body: rerun.status === 202 ? null : rerun.json }).toEqual({ image, status: 202, body: null });
    submitted.push(rerun.json.id);
    hardened.set(image, { from: a.id, rerun: rerun.json.id, profile: seccomp.json, served });
  }, 420_000);
});

// Each image again, under the seccomp profile generated from its own clean strace or ebpf run (seccompFrom,
// default deny with EPERM): it still starts (same executables), serves what it served (stimulation
// reached the ports it reached then, with the same kind of answer), stays up until the window closes, and is clean.
describe('real-world Debian service images run under their own generated seccomp profile', () => {
  it.each(CASES)('$image', async ({ image, ran }) => {
    const h = hardened.get(image);
    if (!h) throw new Error(`${image}: its ${seccompSource(image)} run did not give a profile (see the ${seccompSource(image)} test above)`);
    const a = await api.waitDone(h.rerun, 400_000);
    expect({ status: a.status, error: a.error ?? null, countsForAdmission: a.countsForAdmission }).toEqual({ status: 'completed', error: null, countsForAdmission: false });
    const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
    // The sandbox really ran under the generated profile (the one the API serves, plus docker-init and the hold wrapper).
    expect(report.seccompUnderTest?.from).toBe(h.from);
    expect(report.seccompUnderTest.profile.syscalls[0].names).toEqual(expect.arrayContaining(h.profile.syscalls[0].names));
    const run = execsOf(await eventsOf(a.id));
    const detail = describeFindings(report, run.ancestors);
    const output = `${report.output?.stdout ?? ''}${report.output?.stderr ?? ''}`;
    const served = (report.stimulation?.ports ?? []).filter((p: { kind: string }) => p.kind === 'http' || p.kind === 'tcp').map((p: { port: number; kind: string }) => ({ port: p.port, kind: p.kind }));
    // At least what the first run served (a faster start can serve more within the window).
    expect({ image, missing: ran.filter((x) => !run.names.has(x)), windowExpired: report.exit.windowExpired, served, output: report.exit.windowExpired ? '' : output.slice(-2000) })
      .toEqual({ image, missing: [], windowExpired: true, served: expect.arrayContaining(h.served), output: '' });
    expect({ image, verdict: a.verdict, detail: a.verdict === 'clean' ? '' : detail }).toEqual({ image, verdict: 'clean', detail: '' });
  }, 420_000);
});
