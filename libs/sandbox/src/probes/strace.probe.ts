import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { TraceBudget } from './trace-budget.js';
import { type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';
import { PROBE_UNAVAILABLE_FIELDS } from './probe-fields.js';
import { STRACE_ARGS } from './strace-args.js';


export class StraceProbe implements Probe {
  readonly name = 'strace';
  readonly attachesToProcess = true;
  readonly sharesCpuWithSample = true;
  /** strace sees every syscall with decoded arguments (loginuid comes from the sandbox: probe-fields.ts). */
  readonly unavailableFields: ReadonlySet<string> = new Set(PROBE_UNAVAILABLE_FIELDS.strace);

  constructor(private readonly binary = 'strace') {}

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    if (!target.hostPid) throw new ProbeStartError('strace needs the held entrypoint (sandbox created with hold)');
    const args = [...STRACE_ARGS, '-o', tracePath, '-p', String(target.hostPid)];
    // On the sample's CPU when it is pinned: each syscall stop then wakes strace without an IPI.
    const child =
      target.cpu === undefined
        ? spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn('taskset', ['-c', String(target.cpu), this.binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const session = new StraceSession(child, tracePath, opts.budgetBytes);
    try {
      await session.waitAttached(target.hostPid, 10_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    return session;
  }
}

class StraceSession implements ProbeSession {
  private stderr = '';
  private exitCode: number | null = null;
  private exited: Promise<void>;
  private readonly budget: TraceBudget;
  private spawnError?: Error;

  constructor(
    private readonly child: ChildProcess,
    readonly tracePath: string,
    budgetBytes: number,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 16_384) this.stderr += d;
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => {
        this.spawnError = e;
        resolve();
      });
      child.once('exit', (code, sig) => {
        this.exitCode = code ?? (sig ? 128 : null);
        resolve();
      });
    });
    this.budget = new TraceBudget(tracePath, budgetBytes);
  }

  onBudgetExceeded(cb: () => void): void {
    this.budget.onExceeded(cb);
  }

  async waitAttached(pid: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    while (Date.now() < deadline) {
      if (this.spawnError) throw new ProbeStartError(`strace could not start: ${this.spawnError.message}`);
      if (done) throw new ProbeStartError(`strace exited before attaching (code ${this.exitCode}): ${this.stderr.trim()}`);
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const m = /^TracerPid:\s+(\d+)/m.exec(status);
      if (m && Number(m[1]) === this.child.pid) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new ProbeStartError(`strace did not attach to pid ${pid} within ${timeoutMs} ms: ${this.stderr.trim()}`);
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    let timedOut = false;
    await Promise.race([this.exited, new Promise<void>((r) => setTimeout(() => { timedOut = true; r(); }, graceMs))]);
    if (timedOut) {
      this.child.kill('SIGTERM'); // strace detaches from its tracees on SIGTERM
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.exitCode === null) this.child.kill('SIGKILL');
      await this.exited;
    }
    this.budget.stop();
    const size = (await stat(this.tracePath).catch(() => undefined))?.size ?? 0;
    const stopError = timedOut ? `strace still running ${graceMs} ms after the sample ended; stopped` : undefined;
    return {
      probe: 'strace',
      records: 0,
      bytes: size,
      lost: 0,
      stopError: stopError ?? (this.exitCode !== 0 && this.stderr.trim() ? this.stderr.trim().slice(0, 500) : undefined),
      complete: !timedOut && !this.budget.exceeded,
      exitCode: this.exitCode,
      budgetExceeded: this.budget.exceeded,
    };
  }
}
