import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { gvisorTraceHeader } from '#analysis/probes/gvisor-parser';
import { type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';
import { STRACE_NOISE_SYSCALLS } from './strace-args.js';
import { TraceBudget } from './trace-budget.js';
import { PROBE_UNAVAILABLE_FIELDS } from './probe-fields.js';

/**
 * gVisor's own syscall log as the probe. The sample runs under the Docker runtime `runsc-trace`
 * (registered by scripts/host-deps.sh): `runsc --network=none --strace --debug --debug-command=boot
 * --debug-log=/var/log/quarantine/runsc/`. The sandbox's sentry then logs every syscall of every task
 * (entry and exit, decoded), task exits and signals to its own file `runsc.log.<timestamp>.boot.txt`
 * from the sandbox's start (this runsc, 2022-12, has no %ID% in --debug-log: the file is found by the
 * container id on its `Args:` line). Nothing runs on the host beside the sandbox; the sample cannot see,
 * signal or stop the logging (it is the kernel it talks to). After the run the session copies the
 * syscall lines into the trace file (header first, see `gvisorTraceHeader`) and deletes the log file,
 * also when copying fails; logs of sandboxes whose session never stopped (a crashed worker) are swept
 * at the next attach once their sandbox process is gone.
 */
export const GVISOR_LOG_DIR = '/var/log/quarantine/runsc';
export const GVISOR_DOCKER_RUNTIME = 'runsc-trace';

/** Lines kept from the sentry's log (the rest is gofer/boot chatter). */
export const GVISOR_TRACE_LINE =
  /^[IWEDF]\d{4} [\d:.]+ +\d+ (?:strace|task_exit|task_signals)\.go:\d+\] |\*\*\* Dropped \d+ log messages|main\.go:\d+\] Exiting with status/;

const END_MARKER = 'Exiting with status';
const GLOG_LINE = /^[IWEDF]\d{4} \d\d:\d\d:\d\d\./;
// Sleeps are kept: with no host view of the sample's tasks, a sleep still in progress when the
// window ends is how dormancy is told under gVisor (docs/run-integrity.md).
const KEPT_FOR_DORMANCY = new Set(['nanosleep', 'clock_nanosleep', 'restart_syscall']);
const NOISE = new Set<string>(STRACE_NOISE_SYSCALLS.filter((s) => !KEPT_FOR_DORMANCY.has(s)));

export interface GvisorProbeOptions {
  /** Directory given to runsc's --debug-log. Default /var/log/quarantine/runsc. */
  logDir?: string;
  /** Docker runtime registered with the flags above. Default `runsc-trace`. */
  dockerRuntimeName?: string;
  /** How long attach waits for the sandbox's log file. Default 5 s. */
  findTimeoutMs?: number;
  /** A log file untouched this long whose sandbox process is gone is removed at attach. Default 10 min. */
  staleAfterMs?: number;
}

export class GvisorProbe implements Probe {
  readonly name = 'gvisor';
  /** runsc logs from the sandbox's start; the host cannot signal processes inside gVisor (no hold). */
  readonly attachesToProcess = false;
  readonly dockerRuntimeName: string;
  /**
   * gVisor's log prints sockets as `socket:[N]` (the tracker takes family and endpoints from socket,
   * connect, bind and accept), and no credentials or audit ids; with no held process on the host,
   * the sandbox cannot read the login uid either (probe-fields.ts).
   */
  readonly unavailableFields: ReadonlySet<string> = new Set(PROBE_UNAVAILABLE_FIELDS.gvisor);
  private readonly logDir: string;
  private readonly findTimeoutMs: number;
  private readonly staleAfterMs: number;

  constructor(opts: GvisorProbeOptions = {}) {
    this.logDir = opts.logDir ?? GVISOR_LOG_DIR;
    this.dockerRuntimeName = opts.dockerRuntimeName ?? GVISOR_DOCKER_RUNTIME;
    this.findTimeoutMs = opts.findTimeoutMs ?? 5000;
    this.staleAfterMs = opts.staleAfterMs ?? 10 * 60_000;
  }

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    const startedAt = new Date();
    await sweepStaleLogs(this.logDir, this.staleAfterMs).catch(() => undefined);
    const log = await findBootLog(this.logDir, target.containerId, this.findTimeoutMs);
    if (!log) {
      throw new ProbeStartError(
        `no gVisor log for sandbox ${target.containerId.slice(0, 12)} in ${this.logDir} after ${this.findTimeoutMs} ms ` +
          `(is the Docker runtime ${this.dockerRuntimeName} registered with --debug-log=${this.logDir}/? see scripts/host-deps.sh)`,
      );
    }
    const head = await readHead(log.path, 16_384);
    if (!/\bStrace: true\b/.test(head)) {
      await rm(log.path, { force: true });
      throw new ProbeStartError(`gVisor sandbox ${target.containerId.slice(0, 12)} runs without --strace: runtime ${this.dockerRuntimeName} is misconfigured`);
    }
    return new GvisorSession(log.path, tracePath, opts.budgetBytes, target.containerId, startedAt);
  }
}

class GvisorSession implements ProbeSession {
  /** The budget applies to gVisor's raw log, which is what grows while the sample runs. */
  private readonly budget: TraceBudget;

  constructor(
    private readonly logPath: string,
    readonly tracePath: string,
    budgetBytes: number,
    private readonly containerId: string,
    private readonly startedAt: Date,
  ) {
    this.budget = new TraceBudget(logPath, budgetBytes);
  }

  onBudgetExceeded(cb: () => void): void {
    this.budget.onExceeded(cb);
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    this.budget.stop();
    let ended = false;
    let records = 0;
    let copyError: string | undefined;
    try {
      // The sentry writes its last lines as the sandbox exits; wait for its end line.
      const deadline = Date.now() + graceMs;
      while (!(ended = await endsWithMarker(this.logPath)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      records = await copyTrace(this.logPath, this.tracePath, gvisorTraceHeader(this.containerId, this.startedAt));
    } catch (e) {
      copyError = `could not copy gVisor's log ${this.logPath}: ${(e as Error).message}`;
    } finally {
      await rm(this.logPath, { force: true }).catch(() => undefined);
    }
    const size = (await stat(this.tracePath).catch(() => undefined))?.size ?? 0;
    return {
      probe: 'gvisor',
      records,
      bytes: size,
      // Drops gVisor reports (`*** Dropped N log messages ***`) are in the trace; the parser counts them.
      lost: 0,
      stopError: copyError ?? (ended ? undefined : `gVisor's log had no end line ${graceMs} ms after the sample ended; the trace may be cut`),
      complete: ended && !copyError && !this.budget.exceeded,
      exitCode: ended ? 0 : null,
      budgetExceeded: this.budget.exceeded,
    };
  }
}

/** Copies the kept lines of the sentry's log to `tracePath` (header first); returns the lines written. */
async function copyTrace(logPath: string, tracePath: string, header: string): Promise<number> {
  const out = createWriteStream(tracePath);
  const input = createReadStream(logPath, { encoding: 'utf8' });
  let n = 0;
  try {
    out.write(`${header}\n`);
    const rl = createInterface({ input, crlfDelay: Infinity });
    let continuation = false;
    for await (const line of rl) {
      // gVisor prints paths and comms raw: a newline in one continues a syscall line on the next line.
      const glog = GLOG_LINE.test(line);
      if (!glog && continuation) { n++; if (!out.write(`${line}\n`)) await once(out, 'drain'); continue; }
      continuation = false;
      if (!GVISOR_TRACE_LINE.test(line) || isNoise(line)) continue;
      continuation = line.includes(' strace.go:');
      n++;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
  } finally {
    input.destroy();
    out.end();
    await once(out, 'close');
  }
  return n;
}

/**
 * A syscall line of one of strace's noise syscalls (STRACE_NOISE_SYSCALLS: allocator, signal masks,
 * clocks, id getters), left out as the strace probe leaves them out. The comm before ` E `/` X ` is the
 * sample's to choose, so a line counts as noise only if every marker a comm of up to 15 characters
 * allows names a noise syscall: a sample cannot hide a call by naming itself `x E brk(`.
 */
function isNoise(line: string): boolean {
  const s = line.indexOf(' strace.go:');
  if (s < 0) return false;
  const task = line.indexOf('] ', line.indexOf('] [', s) + 3);
  if (task < 0) return false;
  const from = task + 2;
  let any = false;
  for (let k = from; k <= from + 16 && k < line.length; k++) {
    if (line.charCodeAt(k) !== 32 || line.charCodeAt(k + 2) !== 32) continue;
    const m = line.charCodeAt(k + 1);
    if (m !== 69 && m !== 88) continue;
    const paren = line.indexOf('(', k + 3);
    if (paren < 0) continue;
    const name = line.slice(k + 3, paren);
    if (!/^[a-z0-9_]+$/.test(name)) continue;
    if (!NOISE.has(name)) return false;
    any = true;
  }
  return any;
}

async function endsWithMarker(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 4096);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8').includes(END_MARKER);
  } finally {
    await fh.close();
  }
}

async function readHead(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

async function bootLogs(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('runsc.log.') && n.endsWith('.boot.txt')).sort().reverse();
}

/** The boot log whose `Args:` line names the container (newest files first). */
async function findBootLog(dir: string, containerId: string, timeoutMs: number): Promise<{ path: string } | undefined> {
  const deadline = Date.now() + timeoutMs;
  const checked = new Set<string>();
  for (;;) {
    for (const name of await bootLogs(dir)) {
      if (checked.has(name)) continue;
      const path = join(dir, name);
      const head = await readHead(path, 8192).catch(() => '');
      const args = /\] Args: \[(.*)\]$/m.exec(head);
      if (!args) continue; // still being written: look again
      checked.add(name);
      if (args[1]!.endsWith(` ${containerId}`)) return { path };
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes logs untouched for `staleAfterMs` whose sandbox process (the glog pid column) is gone. */
async function sweepStaleLogs(dir: string, staleAfterMs: number): Promise<void> {
  const now = Date.now();
  for (const name of await bootLogs(dir)) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (!s || now - s.mtimeMs < staleAfterMs) continue;
    const pid = /^[IWEDF]\d{4} [\d:.]+ +(\d+) /.exec(await readHead(path, 256).catch(() => ''))?.[1];
    const cmdline = pid ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
    if (cmdline.startsWith('runsc')) continue; // that sandbox is still running
    await rm(path, { force: true });
  }
}
