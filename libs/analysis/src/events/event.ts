/**
 * Normalized event, version 1 — the one contract every probe parser emits (DESIGN.md).
 *
 * Serialized as one JSON object per line (NDJSON). Parsers fill what the raw trace carries;
 * the state tracker fills the rest (ppid, process identity, fd names) while replaying in order.
 */
export const EVENT_VERSION = 1 as const;

/**
 * Where an event came from. `sandbox` marks events the orchestrator itself observed (OOM, pids limit,
 * window kill); `network` an exchange the network simulator recorded (dns_query, http_request, …).
 */
export type EventSource = 'strace' | 'gvisor' | 'ebpf' | 'perf' | 'ftrace' | 'falco' | 'tracee' | 'sandbox' | 'network' | 'static';

/**
 * `source: static`, `type: static`: one event per static image check that found something
 * (docs/static-checks.md), args `{check, cis, priority, count, detail}`; rules read them as `static.*`.
 */
export const STATIC_EVENT_TYPE = 'static';

export type FdType = 'file' | 'directory' | 'ipv4' | 'ipv6' | 'unix' | 'netlink' | 'packet' | 'memfd' | 'pipe' | 'event' | 'signalfd' | 'timerfd' | 'inotify' | 'bpf' | 'unknown';

export interface EventProcess {
  /** comm-like short name: basename of exe (Falco's proc.name). */
  name: string;
  /** Path of the executable as passed to execve (Falco proc.exe is argv[0]; see exepath). */
  exe: string;
  /** argv, including argv[0]. */
  args: string[];
  cwd: string;
  uid: number;
  gid: number;
}

export interface EventFd {
  num: number;
  type: FdType;
  /** File path, or `cip:cport->sip:sport` for connected sockets, or socket path for unix sockets. */
  name: string;
}

export interface EventContainer {
  id: string;
  image: string;
}

export interface NormalizedEvent {
  v: typeof EVENT_VERSION;
  /** 1-based position in the run's event stream (Falco evt.num). */
  seq: number;
  /** Nanoseconds since the Unix epoch. A double: sub-microsecond precision is not guaranteed. */
  ts: number;
  source: EventSource;
  /** Syscall or event name: `openat`, `execve`, `connect`, `procexit`, `oom_kill`, … */
  type: string;
  /** Return value: a number, or the errno name (`ENOENT`) when the call failed. */
  res: number | string;
  /** Raw numeric return (negative errno on failure). */
  rawres: number;
  pid: number;
  tid: number;
  ppid: number;
  /** pid as seen inside the sandbox's pid namespace, when the probe knows it. */
  vpid?: number;
  proc: EventProcess;
  fd?: EventFd;
  /** Decoded arguments by name (Falco's evt.arg.*), e.g. {fd: 3, name: "/etc/shadow", flags: "O_RDONLY"}. */
  args: Record<string, string | number>;
  container: EventContainer;
  /**
   * What the probe cut on this event (see `TruncatedPart`): rules reading those fields that did not
   * match are reported as not evaluated for the run, never as "did not match". Absent when nothing was cut.
   */
  truncated?: TruncatedPart[];
}

/**
 * Parts of an event a probe can cut short, by the rule fields they feed (rules/truncation.ts):
 * `args` the event's string arguments and the paths derived from them (evt.arg*, fd.name…, fs.path.*);
 * `cmdline`/`env`/`exepath` the process's argv, environment and executable path (after an exec whose
 * argv, envp or filename was cut); `p…`/`a…` the same of the parent / of any ancestor.
 */
export const TRUNCATED_PARTS = ['args', 'cmdline', 'env', 'exepath', 'pcmdline', 'pexepath', 'acmdline', 'aexepath'] as const;
export type TruncatedPart = (typeof TRUNCATED_PARTS)[number];

/** What a probe parser emits before the state tracker fills process identity and fd names. */
export type RawEvent = Omit<NormalizedEvent, 'seq' | 'ppid' | 'proc' | 'fd' | 'container' | 'v' | 'truncated'> & {
  ppid?: number;
  proc?: Partial<EventProcess>;
  fd?: EventFd;
  /** For execve/execveat: environment strings if the probe saw them. */
  env?: string[];
  /** Probe-specific hints the tracker understands, e.g. `{childPid: 42}` on clone/fork returns. */
  hints?: Record<string, string | number | boolean>;
  /**
   * Arguments the probe cut short (strings at its length cap, strace's `"…"...`): keys of `args`,
   * or `argv` / `env` for an exec's argument and environment vectors. Set with `markTruncated`.
   */
  truncatedArgs?: string[];
};

/** Records that the probe cut argument `arg` of `ev` (an `args` key, or `argv` / `env`). */
export function markTruncated(ev: RawEvent, arg: string): void {
  const t = (ev.truncatedArgs ??= []);
  if (!t.includes(arg)) t.push(arg);
}

/**
 * A process made a system call through a 32-bit ABI (`int 0x80` i386 compat, or x32): args
 * `{abi: 'i386' | 'x32', nr?}`. Emitted by the probes once per switch (strace) or per process
 * (ebpf); the calls themselves are reported under their names where the probe decodes them.
 */
export const COMPAT_SYSCALL = 'compat_syscall';

/** Observations of the sandbox itself (not the probe), turned into `source: sandbox` events rules can match. */
export const SANDBOX_OBSERVATION_TYPES = [
  'pids_limit_hit',
  // The sandbox reached its disk limit (profile `limits.disk`, docs/sandbox.md#disk-limit).
  'disk_limit_hit',
  'oom_kill',
  'window_timeout',
  'trace_budget_exceeded',
  // Dormancy (docs/run-integrity.md): the window was extended while the sample only slept, and
  // the sample was still only sleeping when the (extended) window closed.
  'window_extended',
  'dormant_at_window_end',
] as const;
export type SandboxObservationType = (typeof SANDBOX_OBSERVATION_TYPES)[number];
