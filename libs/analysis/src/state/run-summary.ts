/** Report-ready summary of one traced run, produced by the state tracker. */
import type { ProcessState } from './context.js';

export interface ExecRecord {
  ts: number;
  exepath: string;
  args: string[];
  fromMemfd: boolean;
  exeWritten: boolean;
}

/** A process of the run: its identity as the state tracker knew it (host pid, vpid, parent, exe, args), and its life. */
export interface ProcessSummary extends Pick<ProcessState, 'pid' | 'vpid' | 'ppid' | 'name' | 'exe' | 'exepath' | 'args'> {
  startTs: number;
  exitTs?: number;
  exitCode?: number;
  /** Signal that killed it (`SIGKILL`), if any. */
  signal?: string;
  core?: boolean;
  /** Successive executables of this process (capped at 8). */
  execs: ExecRecord[];
  threads: number;
}

export type FileOp = 'create' | 'write' | 'truncate' | 'delete' | 'rename-from' | 'rename-to' | 'chmod' | 'chown' | 'link' | 'symlink' | 'mkdir' | 'mknod';

export interface FileWrite {
  path: string;
  ops: FileOp[];
  /** Host pid of the first process that wrote it. */
  pid: number;
  firstTs: number;
  lastTs: number;
  count: number;
}

export interface NetworkAttempt {
  syscall: 'connect' | 'sendto' | 'sendmsg' | 'bind' | 'listen' | 'accept';
  family: 'ipv4' | 'ipv6' | 'unix' | 'netlink' | 'packet' | 'unknown';
  l4proto?: string;
  /** IP address or unix socket path. */
  address: string;
  port?: number;
  /** `ok`, `EINPROGRESS` (non-blocking, may still connect), or the errno name. */
  result: string;
  pid: number;
  firstTs: number;
  count: number;
}

export interface EntrypointSummary {
  /** Whether the wrapper's execve of the entrypoint succeeded. */
  started: boolean;
  pid?: number;
  vpid?: number;
  exe?: string;
  args?: string[];
  /** errno of the failed exec attempts when it never started. */
  execError?: string;
  exitTs?: number;
  exitCode?: number;
  signal?: string;
}

export interface TrackerStats {
  events: number;
  /** Wrapper events before the entrypoint's execve, not shown to rules. */
  suppressed: number;
  /** Processes first seen without a known parent. */
  orphans: number;
  /** fd entries corrected from strace's `-y` annotation (missed or pre-existing fds). */
  fdResyncs: number;
  processesSeen: number;
  liveProcesses: number;
  peakLiveProcesses: number;
}

export interface RunSummary {
  entrypoint: EntrypointSummary;
  processes: ProcessSummary[];
  processesTruncated: number;
  filesWritten: FileWrite[];
  filesWrittenTruncated: number;
  network: NetworkAttempt[];
  networkTruncated: number;
  stats: TrackerStats;
}
