import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createBpftraceParser } from '#analysis/probes/bpftrace-parser';
import { parseText } from '#analysis/probes/trace-parser';
import { SyscallRecorder } from '#analysis/hardening/syscall-set';
import { X86_64_SYSCALL_BY_NR } from '#analysis/hardening/syscall-numbers';
import { parseImageRef } from '#core/image/image-ref';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { SANDBOX_LABELS } from '../sandbox-runtime.js';
import { EbpfProbe } from './ebpf.probe.js';
import { syscallCoverage } from './syscall-coverage.js';

// Real tracer (the libbpf engine, compiled on first use; one case also runs bpftrace) and real
// Docker: the program attaches while the entrypoint is held, sees the entrypoint's own execve
// first, only this sandbox's processes, and stops cleanly. With CAPTURE_EBPF_FIXTURES=1 the traces
// are copied to libs/analysis/src/probes/__fixtures__/ebpf/.
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const limits = { memoryBytes: 64 * 1024 ** 2, pids: 64, cpus: 1, windowSeconds: 20, outputBytes: 4096, traceBytes: 64 * 1024 ** 2 };
const FIXTURES = join(process.cwd(), 'libs/analysis/src/probes/__fixtures__/ebpf');
let work: string;

beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'q-ebpf-')); });
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  const left = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABELS.managed}=true`] } });
  expect(left.filter((c) => c.Names.some((n) => n.includes('it-ebpf-')))).toEqual([]);
});

/** As the worker does: the libbpf tracer is prepared (loaded) while the sandbox is created, then handed its cgroup. `direct`: started for the sandbox. */
async function detonate(sample: string, engine: 'libbpf' | 'bpftrace' = 'libbpf', mode: 'prepared' | 'direct' = 'prepared') {
  const id = `it-ebpf-${sample}-${engine}-${mode}-${process.pid}`;
  const resolved = await runtime.resolveImage(parseImageRef(`quarantine-samples/${sample}:latest`));
  const tracePath = join(work, `${sample}.${engine}.${mode}.json`);
  const probe = new EbpfProbe({ engine });
  const prepared = mode === 'prepared' ? probe.prepare(tracePath, { budgetBytes: limits.traceBytes }) : undefined;
  const sandbox = await runtime.create({ analysisId: id, image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits });
  try {
    const target = await sandbox.start();
    const t0 = Date.now();
    const session = prepared ? await prepared.attach(target) : await probe.attach(target, tracePath, { budgetBytes: limits.traceBytes });
    const attachMs = Date.now() - t0;
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    const stats = await session.stop(5000);
    const text = readFileSync(tracePath, 'utf8');
    if (process.env.CAPTURE_EBPF_FIXTURES === '1') { mkdirSync(FIXTURES, { recursive: true }); copyFileSync(tracePath, join(FIXTURES, `${sample}.bpftrace.json`)); }
    return { target, exit, stats, attachMs, text, parsed: parseText(createBpftraceParser, text) };
  } finally {
    await prepared?.discard();
    await sandbox.destroy();
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Events with what differs between two runs of one sample masked: host pids, times, hostnames. */
function comparable(events: { type: string; pid: number; tid: number; res: unknown; args: unknown; fd?: unknown; proc?: unknown; env?: unknown; hints?: Record<string, unknown> }[]): string[] {
  const ids = new Map<number, number>();
  const id = (x: unknown): unknown => (typeof x === 'number' ? (ids.get(x) ?? (ids.set(x, ids.size + 1), ids.size)) : x);
  return events.map((e) => {
    const h = { ...(e.hints ?? {}) };
    for (const k of ['childPid', 'parentPid', 'childVpid']) if (k in h) h[k] = id(h[k]);
    return JSON.stringify({ t: e.type, res: e.type === 'clone' ? typeof e.res : e.res, pid: id(e.pid), tid: id(e.tid), args: e.args, fd: e.fd, proc: e.proc, env: e.env, h })
      .replace(/[0-9a-f]{12}/g, 'HOST')
      .replace(/HOSTNAME=[a-z0-9-]+/g, 'HOSTNAME=HOST'); // pod-like hostnames (docker/disguise.ts)
  });
}

describe('EbpfProbe (real tracer, real Docker)', () => {
  it('a tracer that ended with its sandbox (cgroup removed before stop) gives a complete trace', async () => {
    const id = `it-ebpf-gone-${process.pid}`;
    const resolved = await runtime.resolveImage(parseImageRef('quarantine-samples/sleeper:latest'));
    const sandbox = await runtime.create({ analysisId: id, image: resolved, runtime: 'runc', hold: true, capabilities: 'default', limits });
    const tracePath = join(work, 'gone.json');
    try {
      const target = await sandbox.start();
      const session = await new EbpfProbe().attach(target, tracePath, { budgetBytes: limits.traceBytes });
      sandbox.release(target);
      await new Promise((r) => setTimeout(r, 300));
      await sandbox.destroy(); // the window ended: the sandbox is killed and removed before the probe is stopped
      await new Promise((r) => setTimeout(r, 1500)); // the tracer notices within a second and finishes
      const stats = await session.stop(5000);
      expect(stats).toMatchObject({ probe: 'ebpf', complete: true, lost: 0, exitCode: 0 });
      expect(stats.stopError).toBeUndefined();
      expect(parseText(createBpftraceParser, readFileSync(tracePath, 'utf8')).events[0]).toMatchObject({ type: 'execve', args: { filename: '/usr/local/bin/sleeper' } });
    } finally {
      await sandbox.destroy();
    }
  });

  it.each(['prepared', 'direct'] as const)('traces the held entrypoint from its execve, only inside the sandbox, and stops cleanly (%s tracer)', async (mode) => {
    const r = await detonate('shadow-reader', 'libbpf', mode);
    expect(r.exit.exitCode).toBe(0);
    expect(r.stats).toMatchObject({ probe: 'ebpf', lost: 0, complete: true, exitCode: 0 });
    expect(r.stats.records).toBeGreaterThan(3);
    expect(r.parsed.stats.unparsed).toBe(0);
    const ev = r.parsed.events;
    // First event: the wrapper's execve of the entrypoint, under the wrapper's host pid.
    expect(ev[0]).toMatchObject({ type: 'execve', pid: r.target.hostPid, args: { filename: '/usr/local/bin/shadow-reader' } });
    const pids = new Set(ev.map((e) => e.pid));
    expect(pids.has(r.target.initPid)).toBe(false);
    expect(ev.some((e) => e.type === 'openat' && e.args.name === '/etc/shadow' && e.res === 3)).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'procexit', pid: r.target.hostPid, args: { ret: 0 } });
    expect(r.parsed.stats.detail.ended).toBe(1);
    // The syscall set: every call of the run, the entrypoint's execve (its first) and the traced openat too.
    const names = r.parsed.syscallSet!.x86_64.map((nr) => X86_64_SYSCALL_BY_NR[nr]);
    expect(names).toEqual(expect.arrayContaining(['execve', 'openat', 'read', 'exit_group']));
    console.log(`ebpf attach (${mode}) ${r.attachMs} ms, ${r.stats.records} records, ${r.parsed.events.length} events`);
  }, 120_000);

  // The syscall set (C record, docs/hardening.md): calls the program has no events for are in it,
  // from the first one after release (static glibc's start-up: arch_prctl, set_tid_address, brk).
  it('records every syscall the sandbox made in its syscall set, traced or not', async () => {
    const r = await detonate('syscall-set');
    expect(r.exit.exitCode).toBe(0);
    expect(r.parsed.stats.unparsed).toBe(0);
    const set = r.parsed.syscallSet!;
    expect(set).toBeDefined();
    const rec = new SyscallRecorder();
    rec.observeSet(set);
    const record = rec.record('ebpf', syscallCoverage('ebpf', rec.hasSet));
    expect(record).toMatchObject({ complete: true, compatAbis: [], unknown: [] });
    const untraced = ['getcwd', 'uname', 'sysinfo', 'getpriority', 'times'];
    expect(record.names).toEqual(expect.arrayContaining([...untraced, 'execve', 'arch_prctl', 'set_tid_address', 'brk', 'write', 'exit_group']));
    expect(r.parsed.events.filter((e) => untraced.includes(e.type))).toEqual([]); // no events: the set alone has them
    expect(set.i386).toEqual([]);
    expect(set.x32).toEqual([]);
  }, 120_000);

  it('keeps int 0x80 and x32 calls in their own ABI fields of the syscall set', async () => {
    const r = await detonate('probe-int80-shadow');
    const set = r.parsed.syscallSet!;
    expect(set.i386).toEqual(expect.arrayContaining([5, 3, 6])); // i386 open, read, close
    expect(set.x32).toEqual([2]); // open | __X32_SYSCALL_BIT (ENOSYS)
    const rec = new SyscallRecorder();
    rec.observeSet(set);
    expect(rec.record('ebpf', syscallCoverage('ebpf', true)).compatAbis).toEqual(['i386', 'x32']);
  }, 120_000);

  it('decodes sockets, dup2 and exec of a reverse shell', async () => {
    const r = await detonate('revshell');
    const ev = r.parsed.events;
    expect(r.stats.lost).toBe(0);
    expect(ev.find((e) => e.type === 'socket')).toMatchObject({ args: { domain: 'AF_INET', type: 'SOCK_STREAM' }, hints: { l4proto: 'tcp' } });
    expect(ev.find((e) => e.type === 'connect')).toMatchObject({ res: 'ENETUNREACH', args: { addr: '10.66.66.66:4444' }, hints: { ip: '10.66.66.66', port: 4444, family: 'AF_INET' } });
    expect(ev.filter((e) => e.type === 'dup2').map((e) => e.args.newfd)).toEqual([0, 1, 2]);
    expect(ev.find((e) => e.type === 'execve' && e.args.filename === '/bin/sh')).toMatchObject({ proc: { args: ['/bin/sh', '-i'] } });
  }, 120_000);

  // Verdicts per sample are the e2e suite's job (test/e2e/probe-ebpf); here, clean capture of a
  // memfd exec and of a multi-process entrypoint script. CAPTURE_EBPF_FIXTURES=1 runs every sample.
  it.each(process.env.CAPTURE_EBPF_FIXTURES === '1' ? ['memfd-exec', 'dropper', 'etc-writer', 'hello', 'tmpwriter', 'shell-script'] : ['memfd-exec', 'shell-script'])('captures %s', async (sample) => {
    const r = await detonate(sample);
    expect(r.stats).toMatchObject({ lost: 0, complete: true });
    expect(r.parsed.stats.unparsed).toBe(0);
    expect(r.parsed.events[0]!.type).toBe('execve');
  }, 120_000);

  // A tracer prepared for a sandbox that never comes (create failed, worker gave up) must not linger:
  // discard stops it, and a forgotten one exits by itself after its standby time.
  it('a prepared tracer whose sandbox never comes is stopped: by discard, or by itself after standbySeconds', async () => {
    const cacheDir = join(work, 'standby-cache'); // its own loader binary, so only this test's loaders are counted
    const loaders = (): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try { return readlinkSync(`/proc/${d}/exe`).startsWith(cacheDir); } catch { return false; }
    }).map(Number);
    const a = new EbpfProbe({ cacheDir }).prepare(join(work, 'never-a.json'), { budgetBytes: limits.traceBytes });
    const b = new EbpfProbe({ cacheDir, standbySeconds: 1 }).prepare(join(work, 'never-b.json'), { budgetBytes: limits.traceBytes });
    await waitUntil(() => loaders().length === 2, 20_000);
    await a.discard();
    expect(loaders()).toHaveLength(1);
    expect(existsSync(join(work, 'never-a.json'))).toBe(false);
    await waitUntil(() => loaders().length === 0, 5_000); // b's standby time ran out
    await expect(b.attach({ containerId: 'x', initPid: 1, hostPid: 1, uid: 0, gid: 0, cgroupPath: '/' })).rejects.toThrow(/exited before attaching \(code 3\).*standby ended without a sandbox/s);
    await expect(a.attach({ containerId: 'x', initPid: 1, hostPid: 1, uid: 0, gid: 0, cgroupPath: '/' })).rejects.toThrow(/discarded/);
  }, 60_000);

  // The fallback engine (EBPF_ENGINE=bpftrace: ~20 s to attach here) prints the same records.
  it('records the same events with the bpftrace engine as with the libbpf engine', async () => {
    const [a, b] = [await detonate('revshell', 'libbpf'), await detonate('revshell', 'bpftrace')];
    expect(b.stats).toMatchObject({ lost: 0, complete: true });
    expect(comparable(a.parsed.events)).toEqual(comparable(b.parsed.events));
    expect(a.parsed.events.length).toBeGreaterThan(5);
  }, 180_000);
});
