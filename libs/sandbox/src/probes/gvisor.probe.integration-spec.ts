import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { parseImageRef } from '#core/image/image-ref';
import { createGvisorParser } from '#analysis/probes/gvisor-parser';
import { parseText } from '#analysis/probes/trace-parser';
import { StateTracker } from '#analysis/state/state-tracker';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { GVISOR_LOG_DIR, GvisorProbe } from './gvisor.probe.js';
import { ProbeStartError } from './probe.js';

// Real Docker with the runsc-trace runtime (scripts/host-deps.sh): the sample runs under gVisor
// without a hold, the sentry's own log is the trace from the sandbox's first syscall, and the log
// file is gone after the run.
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const limits = { memoryBytes: 128 * 1024 ** 2, pids: 64, cpus: 1, windowSeconds: 10, outputBytes: 4096, traceBytes: 32 * 1024 ** 2 };
const probe = new GvisorProbe();
let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'q-gvisor-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

function logsOf(id: string): string[] {
  if (!existsSync(GVISOR_LOG_DIR)) return [];
  return readdirSync(GVISOR_LOG_DIR).filter((n) => readFileSync(join(GVISOR_LOG_DIR, n), 'utf8').slice(0, 8192).includes(id));
}

async function detonate(image: string, id: string, opts: { window?: number; dockerRuntimeName?: string; probe?: GvisorProbe } = {}) {
  const resolved = await runtime.resolveImage(parseImageRef(image));
  const sandbox = await runtime.create({
    analysisId: id, image: resolved, runtime: 'runsc', dockerRuntimeName: opts.dockerRuntimeName ?? probe.dockerRuntimeName, hold: false,
    capabilities: 'default', limits: { ...limits, windowSeconds: opts.window ?? 10 },
  });
  const tracePath = join(work, `${id}.trace`);
  try {
    const target = await sandbox.start();
    expect(target.hostPid).toBeUndefined();
    const session = await (opts.probe ?? probe).attach(target, tracePath, { budgetBytes: limits.traceBytes });
    sandbox.release(target);
    const exit = await sandbox.wait(new AbortController().signal);
    const stats = await session.stop(5000);
    const output = await sandbox.output(limits.outputBytes);
    const trace = readFileSync(tracePath, 'utf8');
    const { events, stats: parser } = parseText(createGvisorParser, trace);
    const tracker = new StateTracker({ sandbox: { containerId: sandbox.id, containerName: sandbox.name, image, imageRepository: image, imageTag: 'latest', imageDigest: resolved.digest, privileged: false, mounts: [] } });
    const shown = events.map((e) => tracker.push(e)).filter((c) => c !== undefined).map((c) => c.event);
    return { exit, stats, output, trace, parser, shown, summary: tracker.finish(), containerId: sandbox.id };
  } finally {
    await sandbox.destroy();
  }
}

describe('GvisorProbe', () => {
  it('records from the entrypoint exec under gVisor, decodes the shadow read, and removes the log', async () => {
    const r = await detonate('quarantine-samples/shadow-reader:latest', 'it-gvisor-shadow');
    expect(r.exit.exitCode).toBe(0);
    expect(r.output.stdout).toContain('shadow-reader: read');
    expect(r.stats).toMatchObject({ probe: 'gvisor', complete: true, lost: 0, budgetExceeded: false });
    expect(r.stats.records).toBeGreaterThan(20);
    expect(r.trace.split('\n')[0]).toMatch(/^# quarantine gvisor trace v1 container=[0-9a-f]{64} year=\d{4} utcOffsetMinutes=-?\d+$/);
    // gofer/boot chatter is not copied; strace's noise syscalls are left out as the strace probe does.
    expect(r.trace).not.toMatch(/client\.go|urpc\.go| E brk\(| X rt_sigaction\(/);
    expect(r.parser.unparsed).toBe(0);
    expect(r.parser.lost).toBe(0);
    // The first event rules see is the entrypoint's own execve (docker-init, pid 1, is hidden).
    expect(r.shown[0]).toMatchObject({ type: 'execve', pid: 2, args: { filename: '/usr/local/bin/shadow-reader' } });
    expect(r.shown.find((e) => e.type === 'openat' && e.fd?.name === '/etc/shadow')).toBeDefined();
    expect(r.summary.entrypoint).toMatchObject({ started: true, exe: '/usr/local/bin/shadow-reader', exitCode: 0 });
    expect(logsOf(r.containerId)).toEqual([]);
  }, 60_000);

  it('sees a process killed at the window and its children (sleeper)', async () => {
    const r = await detonate('quarantine-samples/sleeper:latest', 'it-gvisor-sleep', { window: 2 });
    expect(r.exit.windowExpired).toBe(true);
    expect(r.stats.complete).toBe(true);
    expect(r.summary.entrypoint).toMatchObject({ started: true, signal: 'SIGKILL' });
    expect(logsOf(r.containerId)).toEqual([]);
  }, 60_000);

  it('fails to start with ProbeStartError when the sandbox runs without the tracing runtime', async () => {
    const quick = new GvisorProbe({ findTimeoutMs: 500 });
    const err = await detonate('quarantine-samples/hello:latest', 'it-gvisor-plain', { dockerRuntimeName: 'runsc', probe: quick }).catch((e: Error) => e);
    expect(String(err)).toMatch(/no gVisor log for sandbox/);
    expect(err).toBeInstanceOf(ProbeStartError);
  }, 60_000);
});

describe('GvisorProbe on a sample that exits at once', () => {
  it('still gets the whole trace (hello may be gone before the sandbox is inspected)', async () => {
    const r = await detonate('quarantine-samples/hello:latest', 'it-gvisor-hello');
    expect(r.exit.exitCode).toBe(0);
    expect(r.stats.complete).toBe(true);
    expect(r.summary.entrypoint).toMatchObject({ started: true, exitCode: 0 });
    expect(r.shown.some((e) => e.type === 'write' && String(e.args.data).length > 0)).toBe(true);
    expect(logsOf(r.containerId)).toEqual([]);
  }, 60_000);
});
