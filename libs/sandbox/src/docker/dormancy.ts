import { open, readFile, readdir, readlink } from 'node:fs/promises';

/**
 * Dormancy: is a runc sandbox only sleeping? Read from the host (the sample cannot see or fake it):
 * every task of the sandbox's cgroup, its state (/proc/<tid>/stat), the syscall it is blocked in
 * with its arguments (/proc/<tid>/syscall), its voluntary context switches (/proc/<tid>/status),
 * and the network namespace's listening sockets (/proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}).
 *
 *  - sleeping: nanosleep, clock_nanosleep, pause, rt_sigsuspend, rt_sigtimedwait, select/poll on
 *    no descriptor, epoll_wait on an epoll watching nothing or only timerfds, read of a timerfd;
 *  - neutral: wait4/waitid (a parent waiting for its children) and futex (a thread waiting for
 *    another) — they sleep as long as what they wait for;
 *  - io: blocked on descriptors (accept, poll/select/epoll on real fds, read of a pipe or socket…);
 *  - running: runnable, in uninterruptible I/O, or not in a syscall.
 *
 * The sandbox is `sleeping` when every task is sleeping or neutral and at least one sleeps;
 * `serving` when it has a listening socket and a task waits on descriptors; `waiting` when tasks
 * wait on descriptors without a listening socket; `active` when a task runs; `exited` when no task
 * is left. A task seen in a sleep whose context-switch count later grew has woken during the
 * window (a periodic daemon such as cron): that sandbox is not dormant.
 *
 * x86_64 syscall numbers; on other architectures the state is `undetermined`.
 */

export type TaskKind = 'sleeping' | 'neutral' | 'io' | 'accept' | 'running';
export type SandboxActivity = 'sleeping' | 'serving' | 'waiting' | 'active' | 'exited' | 'undetermined';

export interface TaskState {
  tid: number;
  tgid: number;
  comm: string;
  kind: TaskKind;
  /** Syscall name when blocked in one we know, else its number. */
  syscall: string;
  nvcsw: number;
  /**
   * For a sleeping task: the sleep's requested duration (relative, seconds) or its absolute end
   * (epoch ms, `untilMs`); Infinity when it sleeps until a signal. Undefined when unknown.
   */
  sleepSeconds?: number;
  untilMs?: number;
}

export interface ActivitySnapshot {
  atMs: number;
  activity: SandboxActivity;
  tasks: TaskState[];
  listening: number;
  detail: string;
}

const X86_64: Record<number, string> = {
  0: 'read', 7: 'poll', 23: 'select', 34: 'pause', 35: 'nanosleep', 43: 'accept', 61: 'wait4', 128: 'rt_sigtimedwait',
  130: 'rt_sigsuspend', 202: 'futex', 219: 'restart_syscall', 230: 'clock_nanosleep', 232: 'epoll_wait', 247: 'waitid', 270: 'pselect6', 271: 'ppoll',
  281: 'epoll_pwait', 288: 'accept4', 441: 'epoll_pwait2',
};

/** Syscall line of /proc/<tid>/syscall: `nr a1 … a6 sp pc`, `-1 sp pc` (not in a syscall) or `running`. */
export function parseSyscallLine(text: string): { nr: number; args: bigint[] } | 'running' | null {
  const t = text.trim();
  if (t === 'running') return 'running';
  const parts = t.split(/\s+/);
  const nr = Number.parseInt(parts[0] ?? '', 10);
  if (!Number.isFinite(nr)) return null;
  if (nr < 0) return 'running';
  const args = parts.slice(1, 7).map((a) => {
    try {
      return BigInt(a);
    } catch {
      return 0n;
    }
  });
  return { nr, args };
}

/** State letter and comm of /proc/<tid>/stat (comm may hold spaces and parentheses). */
export function parseStat(text: string): { state: string; comm: string } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return { comm: text.slice(open + 1, close), state: text.slice(close + 2, close + 3) };
}

/** Listening TCP sockets (state 0A) and bound UDP sockets in /proc/<pid>/net/{tcp,tcp6,udp,udp6}. */
export function countListening(tcp: string, udp: string): number {
  let n = 0;
  for (const line of tcp.split('\n').slice(1)) if (line.trim().split(/\s+/)[3] === '0A') n++;
  for (const line of udp.split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    if (local && !local.endsWith(':0000')) n++;
  }
  return n;
}

/** Listening unix sockets (/proc/<pid>/net/unix: flags __SO_ACCEPTCON 0x10000, state 01). */
export function countUnixListening(unix: string): number {
  let n = 0;
  for (const line of unix.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && (Number.parseInt(f[3] ?? '0', 16) & 0x10000) !== 0) n++;
  }
  return n;
}

export class DormancyWatch {
  private readonly seen = new Map<number, { nvcsw: number; sleeping: boolean }>();
  private wokeTask?: string;
  private last?: ActivitySnapshot;

  /**
   * @param listTasks the sandbox's task ids (cgroup.threads)
   * @param excludeTgid the container's init (docker-init), never the sample
   */
  constructor(
    private readonly listTasks: () => Promise<number[]>,
    private readonly excludeTgid: number,
    private readonly procRoot = '/proc',
    private readonly arch = process.arch,
  ) {}

  /** Builds the watch for a cgroup v2 path (unified at the root or under /unified on hybrid hosts). */
  static async forCgroup(cgroupPath: string, initPid: number, root = '/sys/fs/cgroup'): Promise<DormancyWatch> {
    let dir = `${root}${cgroupPath}`;
    for (const base of [root, `${root}/unified`]) {
      if (await readFile(`${base}${cgroupPath}/cgroup.threads`, 'utf8').then(() => true, () => false)) {
        dir = `${base}${cgroupPath}`;
        break;
      }
    }
    return new DormancyWatch(() => cgroupThreads(dir), initPid);
  }

  /** A task was seen asleep and later had switched context again: it woke during the window. */
  get woke(): string | undefined {
    return this.wokeTask;
  }

  get latest(): ActivitySnapshot | undefined {
    return this.last;
  }

  /** `durations: false` skips reading sleep lengths from the tasks' memory (the once-a-second wake watch needs none). */
  async sample(nowMs = Date.now(), opts: { durations?: boolean } = {}): Promise<ActivitySnapshot> {
    const durations = opts.durations ?? true;
    if (this.arch !== 'x64') {
      this.last = { atMs: nowMs, activity: 'undetermined', tasks: [], listening: 0, detail: `dormancy is read on x86_64 only (this host: ${this.arch})` };
      return this.last;
    }
    const tids = await this.listTasks();
    const tasks: TaskState[] = [];
    // A sandbox is small (pids limit); read sequentially to keep the host's load flat.
    for (const tid of tids.slice(0, 4096)) {
      const t = await this.readTask(tid, nowMs, durations);
      if (t && t.tgid !== this.excludeTgid) tasks.push(t);
    }
    for (const t of tasks) {
      const prev = this.seen.get(t.tid);
      if (prev?.sleeping && t.nvcsw > prev.nvcsw && !this.wokeTask) this.wokeTask = `${t.comm}[${t.tid}]`;
      this.seen.set(t.tid, { nvcsw: t.nvcsw, sleeping: t.kind === 'sleeping' });
    }
    const listening = tasks.length ? await this.listening(tasks[0].tgid) : 0;
    this.last = { atMs: nowMs, ...classify(tasks, listening), tasks, listening };
    return this.last;
  }

  private async readTask(tid: number, nowMs: number, durations: boolean): Promise<TaskState | null> {
    const base = `${this.procRoot}/${tid}`;
    const [statText, statusText, syscallText] = await Promise.all([
      readFile(`${base}/stat`, 'utf8').catch(() => ''),
      readFile(`${base}/status`, 'utf8').catch(() => ''),
      readFile(`${base}/syscall`, 'utf8').catch(() => ''),
    ]);
    const stat = parseStat(statText);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return null;
    const tgid = Number(/^Tgid:\s+(\d+)/m.exec(statusText)?.[1] ?? tid);
    const nvcsw = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(statusText)?.[1] ?? 0);
    const out: TaskState = { tid, tgid, comm: stat.comm, kind: 'running', syscall: 'running', nvcsw };
    if (stat.state === 'R' || stat.state === 'D') return out;
    const sc = parseSyscallLine(syscallText);
    if (sc === null || sc === 'running') return out;
    const name = X86_64[sc.nr] ?? String(sc.nr);
    out.syscall = name;
    const a = sc.args;
    const mem = (ptr: bigint) => (durations ? this.readTimespec(tgid, ptr) : Promise.resolve(undefined));
    switch (name) {
      case 'pause':
      case 'rt_sigsuspend':
        return { ...out, kind: 'sleeping', sleepSeconds: Infinity };
      case 'rt_sigtimedwait':
        return { ...out, kind: 'sleeping', sleepSeconds: a[2] === 0n ? Infinity : await mem(a[2]) };
      case 'nanosleep':
        return { ...out, kind: 'sleeping', sleepSeconds: await mem(a[0]) };
      case 'clock_nanosleep': {
        const secs = await mem(a[2]);
        if ((a[1] & 1n) === 0n) return { ...out, kind: 'sleeping', sleepSeconds: secs };
        // TIMER_ABSTIME: CLOCK_REALTIME (0) is epoch time; monotonic clocks (1, 7) are relative to boot.
        if (secs === undefined) return { ...out, kind: 'sleeping' };
        const untilMs = a[0] === 0n ? secs * 1000 : nowMs + (secs - (await uptimeSeconds(this.procRoot))) * 1000;
        return { ...out, kind: 'sleeping', untilMs };
      }
      case 'select':
      case 'pselect6':
        return a[0] === 0n ? { ...out, kind: 'sleeping' } : { ...out, kind: 'io' };
      case 'poll':
      case 'ppoll':
        return a[1] === 0n ? { ...out, kind: 'sleeping' } : { ...out, kind: 'io' };
      case 'epoll_wait':
      case 'epoll_pwait':
      case 'epoll_pwait2':
        return (await this.epollOnlyTimers(tgid, Number(a[0]))) ? { ...out, kind: 'sleeping' } : { ...out, kind: 'io' };
      case 'read':
        return (await this.fdTarget(tgid, Number(a[0]))) === 'anon_inode:[timerfd]' ? { ...out, kind: 'sleeping' } : { ...out, kind: 'io' };
      case 'accept':
      case 'accept4':
        return { ...out, kind: 'accept' };
      case 'restart_syscall':
        // An interrupted sleep (or wait) resumed after a stop: treat as a sleep of unknown length.
        return { ...out, kind: 'sleeping' };
      case 'wait4':
      case 'waitid':
      case 'futex':
        return { ...out, kind: 'neutral' };
      default:
        return { ...out, kind: 'io' };
    }
  }

  /** Seconds of a `struct timespec` in the task's memory (16 bytes), or undefined if unreadable. */
  private async readTimespec(tgid: number, ptr: bigint): Promise<number | undefined> {
    if (ptr === 0n || ptr > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    let fh;
    try {
      fh = await open(`${this.procRoot}/${tgid}/mem`, 'r');
      const buf = Buffer.alloc(16);
      const { bytesRead } = await fh.read(buf, 0, 16, Number(ptr));
      if (bytesRead !== 16) return undefined;
      const sec = buf.readBigInt64LE(0);
      const nsec = buf.readBigInt64LE(8);
      if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return undefined;
      return Number(sec) + Number(nsec) / 1e9;
    } catch {
      return undefined;
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  private async fdTarget(tgid: number, fd: number): Promise<string> {
    return readlink(`${this.procRoot}/${tgid}/fd/${fd}`).catch(() => '');
  }

  /** An epoll instance watching nothing, or only timerfds, is a clock. */
  private async epollOnlyTimers(tgid: number, epfd: number): Promise<boolean> {
    const info = await readFile(`${this.procRoot}/${tgid}/fdinfo/${epfd}`, 'utf8').catch(() => null);
    if (info === null) return false;
    const watched = [...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1]));
    for (const fd of watched.slice(0, 64)) if ((await this.fdTarget(tgid, fd)) !== 'anon_inode:[timerfd]') return false;
    return watched.length <= 64;
  }

  private async listening(pid: number): Promise<number> {
    const net = `${this.procRoot}/${pid}/net`;
    const read = (f: string) => readFile(`${net}/${f}`, 'utf8').catch(() => '');
    const [tcp, tcp6, udp, udp6, unix] = await Promise.all([read('tcp'), read('tcp6'), read('udp'), read('udp6'), read('unix')]);
    return countListening(tcp + tcp6.split('\n').slice(1).join('\n'), udp + udp6.split('\n').slice(1).join('\n')) + countUnixListening(unix);
  }
}

/** The sandbox's activity from its tasks (see the module comment). */
export function classify(tasks: readonly TaskState[], listening: number): { activity: SandboxActivity; detail: string } {
  if (tasks.length === 0) return { activity: 'exited', detail: 'no task left' };
  const by = (k: TaskKind) => tasks.filter((t) => t.kind === k);
  const describe = (ts: TaskState[]) =>
    ts
      .slice(0, 5)
      .map((t) => `${t.comm}[${t.tid}] in ${t.syscall}`)
      .join(', ') + (ts.length > 5 ? `, … (${ts.length})` : '');
  const running = by('running');
  if (running.length) return { activity: 'active', detail: `running: ${describe(running)}` };
  const io = [...by('accept'), ...by('io')];
  if (io.length && listening > 0) return { activity: 'serving', detail: `${listening} listening socket(s); waiting on descriptors: ${describe(io)}` };
  if (io.length) return { activity: 'waiting', detail: `waiting on descriptors: ${describe(io)}` };
  const sleeping = by('sleeping');
  if (sleeping.length === 0) return { activity: 'waiting', detail: `waiting on each other: ${describe(tasks as TaskState[])}` };
  return { activity: 'sleeping', detail: `all ${tasks.length} task(s) asleep: ${describe(sleeping)}` };
}

/**
 * The earliest time (epoch ms) any sleeping task can wake, given when the sleep was first seen
 * (`sleepStartedBeforeMs`, an upper bound of its start: the sleep cannot end before start +
 * duration ≥ releasedAt + duration). Infinity when every sleeper sleeps until a signal; undefined
 * when a sleeper's end is unknown.
 */
export function earliestWake(tasks: readonly TaskState[], releasedAtMs: number): number | undefined {
  let earliest = Infinity;
  for (const t of tasks) {
    if (t.kind !== 'sleeping') continue;
    let at: number | undefined;
    if (t.untilMs !== undefined) at = t.untilMs;
    else if (t.sleepSeconds !== undefined) at = t.sleepSeconds === Infinity ? Infinity : releasedAtMs + t.sleepSeconds * 1000;
    if (at === undefined) return undefined;
    earliest = Math.min(earliest, at);
  }
  return earliest;
}

async function uptimeSeconds(procRoot: string): Promise<number> {
  const text = await readFile(`${procRoot}/uptime`, 'utf8').catch(() => '0');
  return Number.parseFloat(text.split(/\s+/)[0] ?? '0') || 0;
}

/** The tasks of a cgroup directory tree's `cgroup.threads` files (nested cgroups included). */
export async function cgroupThreads(dir: string, depth = 0): Promise<number[]> {
  const own = (await readFile(`${dir}/cgroup.threads`, 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => n > 0);
  if (depth >= 4) return own;
  const subs = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const d of subs) if (d.isDirectory()) own.push(...(await cgroupThreads(`${dir}/${d.name}`, depth + 1)));
  return own;
}
