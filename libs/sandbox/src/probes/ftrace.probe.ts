import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';
import { PROBE_UNAVAILABLE_FIELDS } from './probe-fields.js';
import { TRACEFS, ensureTracefs } from './tracefs.js';

export { TRACEFS };
export const FTRACE_INSTANCE_PREFIX = 'quarantine-';
const SCHED_EVENTS = ['sched_process_fork', 'sched_process_exec', 'sched_process_exit'] as const;

/** Where an instance's files are. */
export function instanceDir(name: string, root = TRACEFS): string {
  return `${root}/instances/${name}`;
}

/**
 * Disables and removes an instance (events off first so the kernel lets the directory go).
 * Idempotent; returns an error message or undefined.
 */
export async function removeInstance(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  await writeFile(`${dir}/tracing_on`, '0').catch(() => undefined);
  await writeFile(`${dir}/events/enable`, '0').catch(() => undefined);
  await writeFile(`${dir}/set_event_pid`, '').catch(() => undefined);
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      await rmdir(dir);
      return undefined;
    } catch (e) {
      last = e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      await new Promise((r) => setTimeout(r, 20)); // EBUSY while a reader still holds trace_pipe
    }
  }
  return `could not remove ${dir}: ${(last as Error).message}`;
}

/** Sum of the per-cpu `overrun` and `dropped events` counters of an instance. */
export async function lostEvents(dir: string): Promise<number> {
  let lost = 0;
  const cpusDir = `${dir}/per_cpu`;
  for (const c of await readdir(cpusDir).catch(() => [] as string[])) {
    const s = await readFile(`${cpusDir}/${c}/stats`, 'utf8').catch(() => '');
    const o = /^overrun:\s*(\d+)/m.exec(s);
    const d = /^dropped events:\s*(\d+)/m.exec(s);
    lost += Number(o?.[1] ?? 0) + Number(d?.[1] ?? 0);
  }
  return lost;
}

/**
 * ftrace probe: a tracefs instance of its own (`instances/quarantine-<container id>`) with every
 * syscall enter/exit event and sched_process_{fork,exec,exit}, filtered to the held wrapper's pid
 * (`set_event_pid`) and following its forks (`options/event-fork`), `record-tgid` for threads,
 * `trace_clock mono`, no overwrite (a full buffer drops the newest events and counts them).
 * `trace_pipe` is streamed to the trace file by a `cat` on the host while the sample runs. The
 * instance is removed after the run — by stop(), or by a watchdog once the sandbox's processes are
 * gone if stop() is never called, or at process exit; stale instances of gone sandboxes are reaped
 * at the next attach.
 *
 * On this kernel syscall tracepoints carry pointers only (no kprobes/eprobes): no paths, socket
 * addresses or argv — see TRACEPOINT_UNAVAILABLE_FIELDS.
 */
export class FtraceProbe implements Probe {
  readonly name = 'ftrace';
  readonly attachesToProcess = true;
  readonly unavailableFields: ReadonlySet<string> = new Set(PROBE_UNAVAILABLE_FIELDS.ftrace);

  constructor(private readonly opts: { tracefs?: string; bufferKb?: number } = {}) {}

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    if (!target.hostPid) throw new ProbeStartError('ftrace needs the held entrypoint (sandbox created with hold)');
    const root = this.opts.tracefs ?? TRACEFS;
    const name = `${FTRACE_INSTANCE_PREFIX}${target.containerId.slice(0, 32)}`;
    const dir = instanceDir(name, root);
    try {
      await ensureTracefs(root);
      await reapStaleInstances(root);
      await removeInstance(dir);
      await mkdir(dir);
    } catch (e) {
      throw new ProbeStartError(`ftrace: cannot create instance ${dir}: ${(e as Error).message}`);
    }
    let cat: ChildProcess | undefined;
    try {
      const w = (f: string, v: string) => writeFile(`${dir}/${f}`, v);
      await w('tracing_on', '0');
      await w('buffer_size_kb', String(this.opts.bufferKb ?? 8192));
      await w('trace_clock', 'mono');
      await w('options/overwrite', '0');
      await w('options/record-tgid', '1');
      await w('options/event-fork', '1');
      await w('set_event_pid', String(target.hostPid));
      await w('events/syscalls/enable', '1');
      for (const e of SCHED_EVENTS) await w(`events/sched/${e}/enable`, '1');
      // Header: scope and clock (trace_clock mono = CLOCK_MONOTONIC = process.hrtime).
      const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
      await writeFile(tracePath, `# quarantine ftrace instance ${name}\n# quarantine-root-pid ${target.hostPid}\n# quarantine-clock-offset-ns ${offset}\n`);
      const out = openSync(tracePath, 'a');
      try {
        cat = spawn('cat', [`${dir}/trace_pipe`], { stdio: ['ignore', out, 'pipe'] });
      } finally {
        closeSync(out);
      }
      await new Promise<void>((resolve, reject) => {
        cat!.once('spawn', resolve);
        cat!.once('error', reject);
      });
      await w('tracing_on', '1');
      // The wrapper is stopped: if its pid is not in the filter now, it never will be.
      const pids = await readFile(`${dir}/set_event_pid`, 'utf8');
      if (!pids.split(/\s+/).includes(String(target.hostPid))) throw new Error(`pid ${target.hostPid} not in set_event_pid (${pids.trim()})`);
    } catch (e) {
      cat?.kill('SIGKILL');
      await removeInstance(dir);
      throw new ProbeStartError(`ftrace: cannot set up ${dir}: ${(e as Error).message}`);
    }
    return new FtraceSession(cat, dir, tracePath, opts.budgetBytes, target);
  }
}

/** Removes `quarantine-*` instances whose container no longer has a cgroup (left by a crashed worker). */
async function reapStaleInstances(root: string): Promise<void> {
  const names = await readdir(`${root}/instances`).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith(FTRACE_INSTANCE_PREFIX)) continue;
    const id = n.slice(FTRACE_INSTANCE_PREFIX.length);
    const alive = (await readdir('/sys/fs/cgroup/unified/docker').catch(() => [] as string[])).some((c) => c.startsWith(id));
    if (!alive) await removeInstance(`${root}/instances/${n}`);
  }
}

const live = new Set<FtraceSession>();
let exitHook = false;

class FtraceSession implements ProbeSession {
  private stderr = '';
  private budgetCbs: (() => void)[] = [];
  private budgetExceeded = false;
  private readonly watcher: NodeJS.Timeout;
  private readonly exited: Promise<void>;
  private catExit: number | null = null;
  private stopped?: Promise<ProbeStats>;
  private lastLost = 0;

  constructor(
    private readonly cat: ChildProcess,
    private readonly dir: string,
    readonly tracePath: string,
    private readonly budgetBytes: number,
    private readonly target: ProbeTarget,
  ) {
    cat.stderr?.setEncoding('utf8');
    cat.stderr?.on('data', (d: string) => { if (this.stderr.length < 4096) this.stderr += d; });
    this.exited = new Promise((r) => cat.once('exit', (code, sig) => { this.catExit = code ?? (sig ? 128 : null); r(); }));
    this.watcher = setInterval(() => void this.tick(), 250);
    this.watcher.unref();
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      // Last resort (worker exiting mid-run): events off so the kernel stops tracing the sandbox.
      process.once('exit', () => { for (const s of live) s.emergencyOff(); });
    }
  }

  onBudgetExceeded(cb: () => void): void {
    this.budgetCbs.push(cb);
  }

  private emergencyOff(): void {
    try { this.cat.kill('SIGKILL'); } catch { /* gone */ }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const s = await stat(this.tracePath).catch(() => undefined);
    if (s && s.size > this.budgetBytes && !this.budgetExceeded) {
      this.budgetExceeded = true;
      for (const cb of this.budgetCbs) cb();
    }
    // Watchdog: the sandbox is gone and nobody called stop() (the run failed): clean up anyway.
    if (this.target.hostPid && !existsSync(`/proc/${this.target.hostPid}`) && this.target.initPid && !existsSync(`/proc/${this.target.initPid}`)) {
      setTimeout(() => void this.stop(0), 30_000).unref();
    }
  }

  stop(graceMs: number): Promise<ProbeStats> {
    this.stopped ??= this.doStop(graceMs);
    return this.stopped;
  }

  private async doStop(graceMs: number): Promise<ProbeStats> {
    clearInterval(this.watcher);
    let stopError: string | undefined;
    try {
      await writeFile(`${this.dir}/tracing_on`, '0').catch(() => undefined);
      // Drain: wait until every per-cpu buffer is read (entries: 0), at most graceMs.
      const deadline = Date.now() + Math.max(graceMs, 500);
      while (Date.now() < deadline) {
        if ((await this.unread()) === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const left = await this.unread();
      if (left > 0) stopError = `${left} events still unread after ${graceMs} ms`;
      this.lastLost = (await lostEvents(this.dir)) + left;
    } finally {
      this.cat.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.catExit === null) this.cat.kill('SIGKILL');
      const rmErr = await removeInstance(this.dir);
      if (rmErr) stopError = stopError ? `${stopError}; ${rmErr}` : rmErr;
      live.delete(this);
    }
    await appendFile(this.tracePath, `# quarantine-probe-stats lost=${this.lastLost}\n`).catch(() => undefined);
    const size = (await stat(this.tracePath).catch(() => undefined))?.size ?? 0;
    return {
      probe: 'ftrace',
      records: 0,
      bytes: size,
      lost: this.lastLost,
      stopError,
      complete: !this.budgetExceeded && (this.catExit === null || this.catExit === 0 || this.catExit === 143 || this.catExit === 128),
      exitCode: this.catExit,
      budgetExceeded: this.budgetExceeded,
    };
  }

  private async unread(): Promise<number> {
    let n = 0;
    for (let c = 0; c < cpus().length; c++) {
      const s = await readFile(`${this.dir}/per_cpu/cpu${c}/stats`, 'utf8').catch(() => '');
      n += Number(/^entries:\s*(\d+)/m.exec(s)?.[1] ?? 0);
    }
    return n;
  }
}
