import type { FdType, NormalizedEvent } from '../events/event.js';
import type { ExeDownload, NetView } from '../network/view.js';

/**
 * What the state tracker knows about a process at the moment of an event. Rules read Falco
 * fields through this; a single event does not carry ancestors, drift or environment.
 */
export interface ProcessState {
  pid: number;
  /** pid inside the sandbox's pid namespace, if known. */
  vpid?: number;
  ppid: number;
  name: string;
  exe: string;
  /** Absolute, resolved path of the executable (Falco proc.exepath). */
  exepath: string;
  args: string[];
  cwd: string;
  uid: number;
  gid: number;
  loginuid: number;
  env: string[];
  /** Controlling tty number, 0 if none. */
  tty: number;
  sid: number;
  pgid: number;
  /** Nanoseconds since epoch when the process (or its last exec) started. */
  startTs: number;
  /** Executable was created or modified during this run (container drift; Falco proc.is_exe_upper_layer). */
  exeWritten: boolean;
  /** Executable came from a memfd (fileless execution). */
  exeFromMemfd: boolean;
  /** Effective / permitted capability names, when known (e.g. Docker's default set). */
  capEffective: string[];
  capPermitted: string[];
  parent?: ProcessState;
  /** The executable was downloaded from the simulated network before this exec (set at exec; inherited by forks). */
  exeDownload?: ExeDownload;
  /**
   * Parts of this process's identity a probe cut short (bits of rules/truncation.ts TRUNC_BIT:
   * cmdline, env, exepath, and the parent's / ancestors'); absent or 0 when none.
   */
  truncated?: number;
}

export interface FdState {
  num: number;
  type: FdType;
  name: string;
  /** Name as originally passed (before normalisation). */
  nameraw: string;
  /** Socket endpoints when known. */
  l4proto?: 'tcp' | 'udp' | 'icmp' | 'raw';
  family?: 'ip' | 'ip6' | 'unix' | 'netlink' | 'packet';
  cip?: string;
  cport?: number;
  sip?: string;
  sport?: number;
  connected: boolean;
  /** The process is the server side (accepted or listening). */
  isServer: boolean;
  /** Name changed after the fd was created (rename, connect on a known fd). */
  nameChanged: boolean;
  /** The probe cut the path this fd was opened with: fd.name is a prefix. */
  nameTruncated?: boolean;
}

export interface SandboxMetadata {
  containerId: string;
  containerName: string;
  image: string;
  imageRepository: string;
  imageTag: string;
  imageDigest?: string;
  privileged: boolean;
  mounts: string[];
  k8sNamespace?: string;
  k8sPod?: string;
  /** uid → user name from the image's /etc/passwd, when known (Falco user.name; else root/numeric). */
  users?: Record<number, string>;
  /** gid → group name from the image's /etc/group, when known (Falco group.name). */
  groups?: Record<number, string>;
  /** Planted credential lures by absolute path → lure kind (field fd.lure; see lures/lure-index.ts). */
  lures?: ReadonlyMap<string, string>;
}

/**
 * Paths a path-only syscall (unlink, rename, chmod, mkdir, symlink, …) operates on, as passed
 * (`*raw`) and resolved to absolute, `.`/`..`-normalised paths against the process cwd or the
 * `*at` call's directory fd. Falco's fs.path.* orientation: `name` for single-path calls; rename
 * oldpath → `source`, newpath → `target`; link/symlink: the new link is `source`, what it refers
 * to is `target` (a relative symlink target resolved against the link's directory). A resolved
 * value is absent when it cannot be known (relative to an fd the tracker does not know).
 * Recorded whatever the call's result; the fs.path.* fields answer only for successful calls.
 */
export interface FsPaths {
  name?: string;
  nameraw?: string;
  source?: string;
  sourceraw?: string;
  target?: string;
  targetraw?: string;
}

/** One event as rules see it: the event plus what the tracker knew then. */
export interface EvalContext {
  event: NormalizedEvent;
  proc: ProcessState;
  fd?: FdState;
  sandbox: SandboxMetadata;
  /**
   * Set by the state tracker on path-only syscalls only (see `FS_PATH_SPECS` in fs-path.ts);
   * absent on every other event, so the hot path allocates nothing for them.
   */
  fsPath?: FsPaths;
  /** Set on `source: network` events only: the capture and what the analysis derived from it. */
  net?: NetView;
}
