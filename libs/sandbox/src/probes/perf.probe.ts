import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { TraceBudget } from './trace-budget.js';
import { type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';
import { PROBE_UNAVAILABLE_FIELDS } from './probe-fields.js';

/**
 * `perf trace` flags (reasons in libs/analysis/src/probes/perf-parser.ts): system-wide but scoped
 * to the sandbox's cgroup v2 (`-a -G <path relative to the unified mount>`, which perf 6.1 finds on
 * this hybrid host), absolute perf-clock timestamps, events sorted across CPUs (without it a
 * child's events can print after its parent's exit), syscalls plus the sched process events
 * (fork child pids, exec filenames, exits), tracepoint arguments in libtraceevent's key=value form,
 * 1024 mmap pages per CPU against loss.
 */
export const PERF_SCHED_EVENTS = 'sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit';
export function perfTraceArgs(cgroup: string, output?: string): string[] {
  return [
    'trace', '-a', '-G', cgroup, '-T', '--sort-events', '--libtraceevent_print', '--syscalls', '-e', PERF_SCHED_EVENTS,
    '-m', '1024', ...(output ? ['-o', output] : []),
  ];
}

/** `/docker/<id>` (cgroup v2 path) → `docker/<id>`, the form `perf -G` takes. */
export function perfCgroupName(cgroupPath: string): string {
  return cgroupPath.replace(/^\/+/, '');
}

export class PerfProbe implements Probe {
  readonly name = 'perf';
  readonly attachesToProcess = true;
  readonly unavailableFields: ReadonlySet<string> = new Set(PROBE_UNAVAILABLE_FIELDS.perf);

  constructor(private readonly binary = 'perf') {}

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    if (!target.hostPid) throw new ProbeStartError('perf needs the held entrypoint (sandbox created with hold)');
    if (!target.cgroupPath) throw new ProbeStartError('perf needs the sandbox cgroup path (-G)');
    const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
    await writeFile(tracePath, `# quarantine perf trace cgroup ${target.cgroupPath}\n# quarantine-root-pid ${target.hostPid}\n# quarantine-clock-offset-ns ${offset}\n`);
    const out = openSync(tracePath, 'a');
    // perf trace prints to stderr unless -o; send its trace to the file through stderr=file and
    // keep stdout for its own messages (they are rare: errors go to stderr too, so they land in
    // the trace and the parser counts them as unparsed).
    let child: ChildProcess;
    try {
      child = spawn(this.binary, perfTraceArgs(perfCgroupName(target.cgroupPath)), { stdio: ['ignore', 'pipe', out] });
    } finally {
      closeSync(out);
    }
    const session = new PerfSession(child, tracePath, opts.budgetBytes);
    try {
      await session.waitReady(10_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    return session;
  }
}

class PerfSession implements ProbeSession {
  private stdout = '';
  private exitCode: number | null = null;
  private readonly exited: Promise<void>;
  private readonly budget: TraceBudget;
  private spawnError?: Error;

  constructor(private readonly child: ChildProcess, readonly tracePath: string, budgetBytes: number) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => { if (this.stdout.length < 4096) this.stdout += d; });
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => { this.spawnError = e; resolve(); });
      child.once('exit', (code, sig) => { this.exitCode = code ?? (sig ? 128 : null); resolve(); });
    });
    this.budget = new TraceBudget(tracePath, budgetBytes);
  }

  onBudgetExceeded(cb: () => void): void {
    this.budget.onExceeded(cb);
  }

  /**
   * perf has no "attached" signal: it opens its per-cpu events, mmaps their ring buffers and
   * enables them in one go right before its loop. Ready = every CPU's ring buffer is mapped, then
   * a short settle. The parser double-checks (detail.resumedHold: the wrapper's raise(SIGSTOP)
   * returning is the first thing seen).
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    const ncpu = cpus().length;
    while (Date.now() < deadline) {
      if (this.spawnError) throw new ProbeStartError(`perf could not start: ${this.spawnError.message}`);
      if (done) throw new ProbeStartError(`perf exited before attaching (code ${this.exitCode}): ${await this.tail()}`);
      const maps = await readFile(`/proc/${this.child.pid}/maps`, 'utf8').catch(() => '');
      const rings = maps.split('\n').filter((l) => l.includes('anon_inode:[perf_event]')).length;
      if (rings >= ncpu) {
        await new Promise((r) => setTimeout(r, 150));
        if (done) throw new ProbeStartError(`perf exited while attaching (code ${this.exitCode}): ${await this.tail()}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new ProbeStartError(`perf did not attach within ${timeoutMs} ms: ${await this.tail()}`);
  }

  private async tail(): Promise<string> {
    const t = await readFile(this.tracePath, 'utf8').catch(() => '');
    return `${this.stdout.trim()} ${t.split('\n').filter((l) => !l.startsWith('#')).slice(-5).join(' | ')}`.trim().slice(0, 500);
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    // perf trace -a never ends by itself: let it drain what the sample did, then SIGINT (flushes).
    await new Promise((r) => setTimeout(r, Math.min(graceMs, 300)));
    if (this.exitCode === null) this.child.kill('SIGINT');
    let timedOut = false;
    await Promise.race([this.exited, new Promise<void>((r) => setTimeout(() => { timedOut = true; r(); }, Math.max(graceMs, 1000)))]);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.budget.stop();
    const size = (await stat(this.tracePath).catch(() => undefined))?.size ?? 0;
    return {
      probe: 'perf',
      records: 0,
      bytes: size,
      lost: 0, // perf prints "LOST n events!" into the trace: the parser counts them
      stopError: timedOut ? `perf did not exit ${graceMs} ms after SIGINT; killed` : this.exitCode !== 0 ? `perf exit ${this.exitCode}: ${this.stdout.trim().slice(0, 300)}` : undefined,
      complete: !timedOut && !this.budget.exceeded && this.exitCode === 0,
      exitCode: this.exitCode,
      budgetExceeded: this.budget.exceeded,
    };
  }
}

