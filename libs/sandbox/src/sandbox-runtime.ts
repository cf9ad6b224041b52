import type { Lure } from '#analysis/lures/lure';
import type { ImageRef } from '#core/image/image-ref';
import type { KubernetesProfile, SandboxLimits as ProfileLimits } from '#core/profiles/profile';
import type { ProbeSession } from './probes/probe.js';
import type { SandboxTarget } from './sandbox-target.js';

export type { SandboxTarget };

/** Label keys on every sandbox, so a reaper can find leftovers after a crash. */
export const SANDBOX_LABELS = {
  managed: 'org.quarantine.managed',
  analysisId: 'org.quarantine.analysis-id',
  createdAt: 'org.quarantine.created-at',
  deadline: 'org.quarantine.deadline',
} as const;

export interface ResolvedImage {
  /** Local image id: sha256 of the image config. */
  imageId: string;
  /** The digest we key verdicts by: the repo digest when the image has one, else the image id. */
  digest: string;
  repoDigests: string[];
  repoTags: string[];
  entrypoint: string[];
  cmd: string[];
  user: string;
  env: string[];
  workingDir: string;
  /** TCP ports the image config exposes (`ExposedPorts`), for stimulation; absent when unknown. */
  exposedPorts?: number[];
  /** The image's size in bytes (its layers), when the engine reports it: disk limits that count the image add it. */
  sizeBytes?: number;
  /** Paths the image declares as `VOLUME`s: the sandbox gives them size-limited tmpfs, never host volumes. */
  volumes?: string[];
}

/**
 * The profile's limits (libs/core/src/profiles/profile.ts, one definition); a runtime also accepts a
 * spec without `maxWindowSeconds` (no extension) or `diskBytes` (1 GiB where enforced).
 */
export type SandboxLimits = Omit<ProfileLimits, 'maxWindowSeconds' | 'diskBytes'> & Partial<Pick<ProfileLimits, 'maxWindowSeconds' | 'diskBytes'>>;

export interface SandboxSpec {
  analysisId: string;
  /**
   * Start the entrypoint stopped (SIGSTOP wrapper) so a host probe attaches before its first
   * syscall; `release()` lets it run. Probes that record from the sandbox's start (gVisor's log)
   * need no hold.
   */
  hold: boolean;
  image: ResolvedImage;
  runtime: 'runc' | 'runsc';
  /** Docker runtime name to create the sandbox with, when the probe needs a registered variant (gVisor's `runsc-trace`). */
  dockerRuntimeName?: string;
  /**
   * Pin the sample to this CPU (cpuset). A ptrace probe pinned to the same CPU avoids a cross-CPU
   * wake-up at every syscall stop (measured here: ~5× faster under strace).
   */
  cpu?: number;
  capabilities: 'default' | 'drop-all';
  limits: SandboxLimits;
  /** The probe's name: runtimes that run the probe themselves (Kubernetes) pick how from it. */
  probe?: string;
  /** The profile's Kubernetes options (runtimeClassName, nodeSelector, tolerations, namespace prefix). */
  kubernetes?: KubernetesProfile;
  /** Plant credential lures (profile `lures`, default on); runtimes that cannot, plant none. */
  lures?: boolean;
  /**
   * A seccomp profile (Docker/OCI JSON) the whole sandbox runs under instead of Docker's default, to
   * check a generated profile (`seccompFrom`, docs/hardening.md). runc only.
   */
  seccomp?: string;
  /** The simulated network (docs/network.md): its only peer is a simulator writing NetCapture lines to capturePath. Absent: no network. */
  network?: { mode: 'simulated'; capturePath: string };
}

/** The sandbox's network as the run saw it (RunFacts.network). */
export interface SandboxNetworkStatus {
  mode: 'none' | 'simulated';
  capturePath?: string;
  simulatorHealthy?: boolean;
  simulatorError?: string;
}

export interface SandboxExit {
  /** Exit code of the entrypoint (PID 1 reports the entrypoint's status through docker-init). */
  exitCode: number | null;
  oomKilled: boolean;
  /** The sandbox was killed by us at the end of the observation window. */
  windowExpired: boolean;
  /** Killed because an analyst cancelled. */
  cancelled: boolean;
  /** Killed because the probe's trace budget ran out. */
  budgetExceeded: boolean;
  /** Wall time between release (SIGCONT) and exit, ms. */
  runMs: number;
  /** How the observation window ended, and whether the sample was dormant then (Docker runtime). */
  window?: WindowOutcome;
}

/** The end of the observation window (docs/run-integrity.md). */
export interface WindowOutcome {
  windowSeconds: number;
  maxWindowSeconds: number;
  /** How long the window ran past windowSeconds because the sample only slept, ms. */
  extendedMs: number;
  /** What ended the run: the sample's exit, the window, the trace budget, a cancellation. */
  endedBy: 'exit' | 'window' | 'budget' | 'cancel';
  /**
   * The sandbox when the window closed: `dormant` (every task asleep, none woken during the
   * window), `periodic` (asleep, but a task woke during the window), `serving`, `waiting` (on
   * descriptors), `active`, `exited`, or `undetermined` (no host view of its tasks: gVisor).
   */
  activity: 'dormant' | 'periodic' | 'serving' | 'waiting' | 'active' | 'exited' | 'undetermined' | 'sleeping';
  /** True when the sample was still only sleeping at the (extended) window's end. */
  dormant: boolean;
  detail: string;
}

export interface LimitHits {
  /** Times a fork/clone was refused by the pids limit. */
  pidsLimitHits: number;
  /** OOM kills inside the sandbox's memory cgroup. */
  oomKills: number;
  peakPids: number;
  /** Times the sandbox reached its disk limit (profile `limits.disk`): 0 or 1 (Docker: the qgroup at its limit; Kubernetes: evicted for ephemeral storage). */
  diskLimitHits?: number;
  /** Bytes the sandbox wrote at its peak, when the runtime can read it (btrfs qgroup). */
  diskUsedBytes?: number;
  /** The disk allowance it had (`limits.disk` plus the storage driver's headroom). */
  diskLimitBytes?: number;
}

export interface CapturedOutput {
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}



/** A created sandbox whose entrypoint wrapper waits, stopped, for the probe. */
export interface Sandbox {
  readonly id: string;
  readonly name: string;
  readonly hostname: string;
  /** Credential lures planted in this sandbox (issue 11), when the runtime plants them. */
  readonly lures?: Lure[];
  /** Starts the sandbox; with `hold`, resolves once the entrypoint wrapper is stopped, waiting for the probe. */
  start(): Promise<SandboxTarget>;
  /** Lets the held entrypoint run (SIGCONT); marks the start of the observation window. */
  release(target: SandboxTarget): void;
  /** Resolves when the sandbox exits, the window expires (killed), or `signal` aborts (killed). */
  wait(signal: AbortSignal): Promise<SandboxExit>;
  /** Kills the sandbox now; `reason` is recorded in the exit. */
  kill(reason: 'budget' | 'cancel' | 'window'): Promise<void>;
  limitHits(): Promise<LimitHits>;
  output(capBytes: number): Promise<CapturedOutput>;
  /** Stops and removes the sandbox; safe to call more than once and after failures. */
  destroy(): Promise<void>;
  /**
   * Optional: ends what the analysis still reads (output streams, the network simulator's capture)
   * and starts removing the sandbox without waiting for it; `destroy()` then awaits the removal.
   * Lets a report be stored while the engine removes the container (docs/benchmarks.md).
   */
  retire?(): Promise<void>;
  /** The network's state at the end of the run (call after wait, before destroy): the simulator's health check. */
  networkStatus?(): Promise<SandboxNetworkStatus>;
  /**
   * Sandboxes that run their probe themselves (a Kubernetes sidecar, or a cluster sensor read
   * through the API) hand back its session here; the worker then attaches no host probe.
   */
  attachProbe?(probe: string, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession>;
}

/** Docker (runc or gVisor) and Kubernetes runtimes implement this; callers and tests depend on it. */
export interface SandboxRuntime {
  readonly kind: string;
  /** Finds the image locally (or pulls it) and checks a pinned digest. */
  resolveImage(ref: ImageRef): Promise<ResolvedImage>;
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** Removes leftover sandboxes: all of one analysis, or every managed one past its deadline. */
  reap(opts: { analysisId?: string; now?: Date }): Promise<string[]>;
  ping(): Promise<boolean>;
}

export class ImageNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageNotFoundError';
  }
}

/** The host cannot enforce a containment the profile asks for (e.g. `limits.disk` on a storage driver without quotas): the analysis fails closed. */
export class ContainmentUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainmentUnavailableError';
  }
}

export class ImageVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageVerificationError';
  }
}
