import { randomBytes } from 'node:crypto';
import { type WriteStream, createWriteStream } from 'node:fs';
import { podLikeHostname } from '../docker/disguise.js';
import { Writable } from 'node:stream';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ImageRef } from '#core/image/image-ref';
import type { HostSensorProbe } from '../probes/falco.probe.js';
import { type ProbeSession, ProbeStartError } from '../probes/probe.js';
import {
  type CapturedOutput,
  ImageVerificationError,
  type LimitHits,
  type ResolvedImage,
  type Sandbox,
  type SandboxExit,
  type SandboxNetworkStatus,
  type SandboxRuntime,
  type SandboxSpec,
  type SandboxTarget,
} from '../sandbox-runtime.js';
import { type KubeClient, type KubeObject, type WatchHandle, statusOf } from './kube-client.js';
import { LineSink } from './log-lines.js';
import { NETSIM_POD, samplePodNetworkPatch } from './netsim-objects.js';
import {
  AGENT_PREFIX,
  K8S_ANNOTATIONS,
  K8S_LABELS,
  PROBE_CONTAINER,
  type ProbeMode,
  SAMPLE_CONTAINER,
  SAMPLE_POD,
  type SandboxObjectsInput,
  namespaceName,
  sandboxObjects,
} from './objects.js';
import { type AgentState, SensorFilter, SensorTraceSession, SidecarTraceSession, TraceWriter } from './trace-sessions.js';
import { ephemeralStorageEviction } from './eviction.js';

/** Where a cluster-wide sensor (Falco / Tracee DaemonSet) runs, so its node-local pod log can be read. */
export interface SensorSource {
  namespace: string;
  labelSelector: string;
  /** Container of the sensor pod whose log carries the JSON events (default: the pod's only/first). */
  container: string;
  /** Gives container id / drop counts of a line (the host-sensor probes' own line inspection). */
  probe: HostSensorProbe;
}

export interface KubernetesRuntimeOptions {
  client: KubeClient;
  /** Image metadata (entrypoint, cmd, user, digest): the cluster pulls, the worker cannot inspect locally. */
  resolveImage: (ref: ImageRef) => Promise<ResolvedImage>;
  /** Image with strace, sh and the static hold wrapper (deploy/probe-image). */
  probeImage: string;
  /** The worker's ServiceAccount, bound inside each sandbox namespace. */
  workerServiceAccount: { namespace: string; name: string };
  /** Sensors by probe name (falco, tracee). */
  sensors?: Readonly<Record<string, SensorSource>>;
  /** Scheduling + image pull + probe start allowance before the window (default 180 s). */
  startAllowanceSeconds?: number;
  /** Extra seconds past window + allowance before a reaper may delete a namespace (default 120 s). */
  reapGraceSeconds?: number;
  /** Ephemeral storage of the sample container (writable layer + logs), default 1 GiB. */
  ephemeralStorageBytes?: number;
  /** How long a sensor's log must stay quiet at stop (default 1000 ms). */
  sensorSettleMs?: number;
  /** After the window, how long the sidecar's agent has to end the sample before the pod is killed (default 5000 ms). */
  agentWindowBackstopMs?: number;
  /** The network simulator's image (python3 + netsim.py and its assets; deploy/netsim-image), for `network: simulated`. */
  netsimImage?: string;
  /** How long creates are retried on 403 (RBAC cache after the RoleBinding, the default ServiceAccount not there yet), default 15 s. */
  forbiddenRetryMs?: number;
}

export const SIDECAR_PROBES: readonly string[] = ['strace'];
/** How long after the window the worker kills the whole pod if the sidecar's agent has not ended the sample. */
export const AGENT_WINDOW_BACKSTOP_MS = 5000;

/** Waiting-state reasons that will not resolve by themselves: fail the start at once. */
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function stripScheme(id: string | undefined): string {
  return (id ?? '').replace(/^[a-z0-9-]+:\/\//, '');
}

function numericUser(user: string): { uid: number; gid: number } {
  const [u, g] = user.split(':');
  return { uid: /^\d+$/.test(u ?? '') ? Number(u) : 0, gid: /^\d+$/.test(g ?? '') ? Number(g) : 0 };
}

/** The image reference the kubelet pulls: pinned by digest when we have one. */
export function podImage(image: ResolvedImage): string {
  return image.repoDigests[0] ?? image.repoTags[0] ?? image.imageId;
}

/**
 * Kubernetes sandboxes: one throw-away namespace per analysis (default-deny NetworkPolicy,
 * ResourceQuota, LimitRange, the sample pod), deleted after collection, always; a reaper deletes
 * namespaces past their deadline annotation (worker crash). Waiting is watch-based.
 */
export class KubernetesRuntime implements SandboxRuntime {
  readonly kind = 'kubernetes';

  constructor(private readonly opts: KubernetesRuntimeOptions) {}

  ping(): Promise<boolean> {
    return this.opts.client.ping();
  }

  resolveImage(ref: ImageRef): Promise<ResolvedImage> {
    return this.opts.resolveImage(ref);
  }

  probeMode(probe: string | undefined): ProbeMode {
    const name = probe ?? 'strace';
    if (SIDECAR_PROBES.includes(name)) return 'sidecar';
    if (this.opts.sensors?.[name]) return 'sensor';
    throw new ProbeStartError(
      `probe ${name} cannot run on the kubernetes runtime` +
        (name === 'falco' || name === 'tracee' ? ` (no ${name} sensor configured: K8S_${name.toUpperCase()}_PODS)` : ` (sidecar: ${SIDECAR_PROBES.join(', ')}; sensors: falco, tracee)`),
    );
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    if (spec.seccomp !== undefined) throw new ImageVerificationError('a seccomp profile under test (seccompFrom) runs on the Docker runtime only');
    const mode = this.probeMode(spec.probe);
    const argv = [...spec.image.entrypoint, ...spec.image.cmd];
    if (mode === 'sidecar' && argv.length === 0) throw new ImageVerificationError('image has neither an entrypoint nor a command: nothing to run');
    const o = spec.kubernetes ?? {};
    // A suffix per attempt: a previous attempt's namespace may still be terminating under the same id.
    const namespace = namespaceName(o.namespacePrefix, `${spec.analysisId}-${randomBytes(3).toString('hex')}`);
    const startAllowanceSeconds = this.opts.startAllowanceSeconds ?? 180;
    if (spec.network?.mode === 'simulated' && !this.opts.netsimImage) {
      throw new ProbeStartError('the simulated network on the kubernetes runtime needs the simulator image (K8S_NETSIM_IMAGE)');
    }
    const now = new Date();
    const input: SandboxObjectsInput = {
      analysisId: spec.analysisId,
      namespace,
      image: podImage(spec.image),
      argv,
      hostname: podLikeHostname(spec.image.repoTags),
      limits: spec.limits,
      capabilities: spec.capabilities,
      probe: spec.probe ?? 'strace',
      probeMode: mode,
      probeImage: this.opts.probeImage,
      workerServiceAccount: this.opts.workerServiceAccount,
      startAllowanceSeconds,
      deadline: new Date(now.getTime() + (spec.limits.windowSeconds + startAllowanceSeconds + (this.opts.reapGraceSeconds ?? 120)) * 1000),
      createdAt: now,
      // The sample container's ephemeral-storage request and limit: the profile's limits.disk.
      ephemeralStorageBytes: spec.limits.diskBytes ?? this.opts.ephemeralStorageBytes ?? 1024 ** 3,
      options: o,
      ...(spec.network?.mode === 'simulated' ? { network: { simulatorImage: this.opts.netsimImage! } } : {}),
    };
    const objects = sandboxObjects(input);
    await this.opts.client.create(objects.namespace as KubeObject);
    try {
      for (const obj of objects.inNamespace) await this.createRetrying(obj as KubeObject);
    } catch (e) {
      await this.opts.client.deleteNamespace(namespace).catch(() => undefined);
      throw e;
    }
    return new KubernetesSandbox(this.opts, this, spec, input, objects.pod as KubeObject, mode);
  }

  /**
   * Creates one object in a fresh namespace, retrying 403 for a bounded time: the RoleBinding we
   * just created reaches the RBAC authorizer's cache, and the namespace's `default` ServiceAccount
   * (pods are refused without it), a moment later.
   */
  async createRetrying(obj: KubeObject): Promise<void> {
    const until = Date.now() + (this.opts.forbiddenRetryMs ?? 15_000);
    let delay = 50;
    for (;;) {
      try {
        await this.opts.client.create(obj);
        return;
      } catch (e) {
        if (statusOf(e) !== 403 || Date.now() + delay > until) throw e;
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  async reap(opts: { analysisId?: string; now?: Date }): Promise<string[]> {
    let selector = `${K8S_LABELS.sandbox}=true`;
    if (opts.analysisId) selector += `,${K8S_LABELS.analysisId}=${opts.analysisId}`;
    const list = await this.opts.client.listNamespaces(selector);
    const now = (opts.now ?? new Date()).getTime();
    const removed: string[] = [];
    for (const ns of list) {
      if (ns.phase === 'Terminating') continue;
      const deadline = Date.parse(ns.annotations[K8S_ANNOTATIONS.deadline] ?? '');
      if (!opts.analysisId && Number.isFinite(deadline) && deadline > now) continue;
      if ((await this.opts.client.deleteNamespace(ns.name)) === 'deleted') removed.push(ns.name);
    }
    return removed;
  }
}

/** The latest state of the sample pod, kept by a watch (re-opened when the server ends it). */
class PodWatch {
  pod?: V1Pod;
  deleted = false;
  private handle?: WatchHandle;
  private closed = false;
  private listeners = new Set<() => void>();
  error?: Error;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async open(): Promise<void> {
    if (this.closed) return;
    const openedAt = Date.now();
    this.handle = await this.client.watchPod(
      this.namespace,
      this.name,
      (type, pod) => {
        if (type === 'ERROR' || type === 'BOOKMARK') return;
        if (type === 'DELETED') this.deleted = true;
        else this.pod = pod;
        this.emit();
      },
      (err) => {
        if (this.closed) return;
        if (err) {
          this.error = err;
          this.emit();
          return;
        }
        // The server ends watches after a while: open a new one (its ADDED event carries the current
        // state); not in a tight loop if the server keeps closing them at once.
        const reopen = () =>
          void this.open().catch((e: Error) => {
            this.error = e;
            this.emit();
          });
        if (Date.now() - openedAt < 1000) setTimeout(reopen, 200).unref();
        else reopen();
      },
    );
  }

  /** Resolves with the first value `check` returns for a state change (checked at once too). */
  until<T>(check: () => T | undefined, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = () => {
        try {
          if (this.error) throw this.error;
          const v = check();
          if (v !== undefined) {
            this.listeners.delete(test);
            signal?.removeEventListener('abort', onAbort);
            resolve(v);
          }
        } catch (e) {
          this.listeners.delete(test);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        }
      };
      const onAbort = () => {
        this.listeners.delete(test);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.listeners.add(test);
      test();
    });
  }

  /** Re-runs every waiting check (after a non-watch change, e.g. a probe log line). */
  emit(): void {
    for (const l of [...this.listeners]) l();
  }

  close(): void {
    this.closed = true;
    this.handle?.abort();
  }
}

function statusOfContainer(pod: V1Pod | undefined, name: string): V1ContainerStatus | undefined {
  const s = pod?.status;
  return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === name);
}

/** Why the pod cannot get to the point we wait for, if it cannot. */
function fatalStart(pod: V1Pod | undefined, deleted: boolean): string | undefined {
  if (deleted) return 'the sandbox pod was deleted';
  if (!pod) return undefined;
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason && FATAL_WAITING.has(w.reason)) return `container ${c.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
  }
  const phase = pod.status?.phase;
  if (phase === 'Failed') return `the sandbox pod failed before the sample ran (${pod.status?.reason ?? 'Failed'}${pod.status?.message ? `: ${pod.status.message}` : ''})`;
  return undefined;
}

function podSummary(pod: V1Pod | undefined): string {
  if (!pod) return 'no pod status seen';
  const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const states = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    .map((c) => `${c.name}=${c.state?.running ? 'running' : c.state?.terminated ? `terminated(${c.state.terminated.reason ?? c.state.terminated.exitCode})` : `waiting(${c.state?.waiting?.reason ?? ''})`}`)
    .join(' ');
  return `phase ${pod.status?.phase ?? '?'}${sched ? `, unschedulable: ${sched.message ?? sched.reason}` : ''}${states ? `, ${states}` : ''}`;
}

class KubernetesSandbox implements Sandbox {
  readonly id: string;
  readonly name: string;
  readonly hostname: string;
  private readonly ns: string;
  private readonly watch: PodWatch;
  private readonly writer = new TraceWriter();
  private readonly agent: AgentState = {};
  private probeStream?: WatchHandle;
  private probeStreamEnded = false;
  private sensorSession?: SensorTraceSession;
  private killReason?: 'budget' | 'cancel' | 'window';
  private releasedAt = 0;
  private destroyed = false;
  private started = false;
  private target?: SandboxTarget;
  private netsim?: SimulatorPod;

  constructor(
    private readonly opts: KubernetesRuntimeOptions,
    private readonly runtime: KubernetesRuntime,
    private readonly spec: SandboxSpec,
    input: SandboxObjectsInput,
    private readonly pod: KubeObject,
    private readonly mode: ProbeMode,
  ) {
    this.ns = input.namespace;
    this.id = `${input.namespace}/${SAMPLE_POD}`;
    this.name = input.namespace;
    this.hostname = input.hostname;
    this.watch = new PodWatch(opts.client, this.ns, SAMPLE_POD);
  }

  async start(): Promise<SandboxTarget> {
    if (this.started) throw new Error(`sandbox ${this.name} already started`);
    this.started = true;
    const timeout = AbortSignal.timeout((this.opts.startAllowanceSeconds ?? 180) * 1000);
    try {
      if (this.spec.network?.mode === 'simulated') {
        // The simulator pod (created with the namespace's objects) must run before the sample starts:
        // its pod IP is the sample's only resolver, and nothing the sample sends may go unrecorded.
        this.netsim = new SimulatorPod(this.opts.client, this.ns, this.spec.network.capturePath);
        const ip = await this.netsim.start(timeout);
        const patch = samplePodNetworkPatch(ip);
        const meta = this.pod.metadata as { labels?: Record<string, string> };
        meta.labels = { ...meta.labels, ...patch.labels };
        Object.assign(this.pod.spec as object, patch.spec);
      }
      await this.watch.open();
      await this.runtime.createRetrying(this.pod);
      this.target = this.mode === 'sidecar' ? await this.startSidecar(timeout) : await this.startSensor(timeout);
      return this.target;
    } catch (e) {
      if (timeout.aborted) throw new Error(`sandbox ${this.name} did not start within ${this.opts.startAllowanceSeconds ?? 180} s: ${podSummary(this.watch.pod)}`);
      throw e;
    }
  }

  /** Probe container running → follow its log; the agent's `attached` line means the sample is released under strace. */
  private async startSidecar(signal: AbortSignal): Promise<SandboxTarget> {
    await this.watch.until(() => {
      const fatal = fatalStart(this.watch.pod, this.watch.deleted);
      if (fatal) throw new Error(fatal);
      const st = statusOfContainer(this.watch.pod, PROBE_CONTAINER);
      return st?.state?.running || st?.state?.terminated ? true : undefined;
    }, signal);
    const sink = new LineSink((line) => this.probeLine(line));
    void new Promise<void>((resolve) => {
      sink.once('finish', resolve);
      sink.once('close', resolve);
      sink.once('error', () => resolve());
    }).then(() => {
      this.probeStreamEnded = true;
      this.watch.emit();
    });
    this.probeStream = await this.opts.client.streamLog(this.ns, SAMPLE_POD, PROBE_CONTAINER, sink, { follow: true });
    const held = await this.watch.until(() => {
      if (this.agent.failed) throw new ProbeStartError(`probe agent: ${this.agent.failed}`);
      if (this.agent.attached !== undefined && this.agent.held) return this.agent.held;
      if (this.probeStreamEnded) throw new ProbeStartError(`the probe's log ended before it attached (${podSummary(this.watch.pod)})`);
      const fatal = fatalStart(this.watch.pod, this.watch.deleted);
      if (fatal) throw new Error(fatal);
      return undefined;
    }, signal);
    const containerId = stripScheme(statusOfContainer(this.watch.pod, SAMPLE_CONTAINER)?.containerID) || this.id;
    // strace decodes pids in the pod's pid namespace (shared by the sidecar): host pid and vpid coincide.
    return { containerId, initPid: 0, hostPid: held.pid, vpid: held.pid, uid: held.uid, gid: held.gid };
  }

  private async probeLine(line: string): Promise<void> {
    if (!line.startsWith(AGENT_PREFIX)) {
      await this.writer.write(line);
      return;
    }
    const msg = line.slice(AGENT_PREFIX.length);
    const kv = (k: string) => {
      const m = new RegExp(`\\b${k}=(-?\\d+)`).exec(msg);
      return m ? Number(m[1]) : undefined;
    };
    if (msg.startsWith('held ')) this.agent.held = { pid: kv('pid') ?? 0, uid: kv('uid') ?? 0, gid: kv('gid') ?? 0 };
    else if (msg.startsWith('attached ')) {
      this.agent.attached = kv('pid');
      this.releasedAt = Date.now();
    } else if (msg.startsWith('window expired')) this.killReason ??= 'window';
    else if (msg.startsWith('failed')) this.agent.failed = msg.slice('failed'.length).trim() || 'failed';
    else if (msg.startsWith('exit ')) this.agent.exitCode = kv('code');
    this.watch.emit();
  }

  /** Sample container has an id (running or already done) → follow the node's sensor log from before the pod existed. */
  private async startSensor(signal: AbortSignal): Promise<SandboxTarget> {
    const sensor = this.opts.sensors![this.spec.probe!]!;
    const pod = await this.watch.until(() => {
      const st = statusOfContainer(this.watch.pod, SAMPLE_CONTAINER);
      if (st?.containerID && (st.state?.running || st.state?.terminated)) return this.watch.pod;
      const fatal = fatalStart(this.watch.pod, this.watch.deleted);
      if (fatal) throw new Error(fatal);
      return undefined;
    }, signal);
    const node = pod!.spec?.nodeName;
    if (!node) throw new ProbeStartError(`${sensor.probe.name}: the sandbox pod has no node`);
    const sensors = await this.opts.client.listPods(sensor.namespace, { labelSelector: sensor.labelSelector, fieldSelector: `spec.nodeName=${node}` });
    const sensorPod = sensors.find((p) => p.status?.phase === 'Running');
    if (!sensorPod?.metadata?.name) throw new ProbeStartError(`${sensor.probe.name}: no running sensor pod (${sensor.namespace}, ${sensor.labelSelector}) on node ${node}`);
    const containerId = stripScheme(statusOfContainer(pod, SAMPLE_CONTAINER)?.containerID);
    const filter = new SensorFilter(sensor.probe, { namespace: this.ns, containerId });
    const created = Date.parse(String(pod!.metadata?.creationTimestamp ?? '')) || Date.now();
    let ended = false;
    const session = new SensorTraceSession(sensor.probe.name, this.writer, filter, () => this.probeStream?.abort(), () => ended, this.opts.sensorSettleMs ?? 1000);
    this.sensorSession = session;
    await this.writer.write(JSON.stringify({ quarantine: { probe: sensor.probe.name, containerId, namespace: this.ns, pod: SAMPLE_POD, node, sensorPod: sensorPod.metadata.name } }));
    const sink = new LineSink((l) => session.line(l));
    sink.once('finish', () => (ended = true));
    // sinceTime (RFC 3339, whole seconds) before the pod was created: nothing of the sample precedes it.
    const sinceTime = new Date(Math.floor(created / 1000) * 1000 - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.probeStream = await this.opts.client.streamLog(sensor.namespace, sensorPod.metadata.name, sensor.container, sink, { follow: true, sinceTime });
    this.releasedAt = Date.now();
    return { containerId, initPid: 0, ...numericUser(this.spec.image.user) };
  }

  async attachProbe(_probe: string, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    if (!this.target) throw new ProbeStartError('the sandbox has not started');
    await this.writer.open(tracePath, opts.budgetBytes);
    if (this.mode === 'sensor') {
      this.sensorSession!.tracePath = tracePath;
      return this.sensorSession!;
    }
    const finished = this.watch
      .until(() => (this.agent.exitCode !== undefined || this.probeStreamEnded ? true : undefined))
      .then(() => undefined, () => undefined);
    return new SidecarTraceSession(tracePath, this.writer, this.agent, finished, () => this.probeStream?.abort());
  }

  release(_target: SandboxTarget): void {
    // The agent resumes the sample itself once strace is attached (no exec into the pod needed);
    // this only marks the window's start when the agent's line has not.
    if (!this.releasedAt) this.releasedAt = Date.now();
  }

  async wait(signal: AbortSignal): Promise<SandboxExit> {
    const started = this.releasedAt || Date.now();
    // With the sidecar, the agent ends the window (the probe survives to report); this is the backstop.
    const backstopMs = this.mode === 'sidecar' ? (this.opts.agentWindowBackstopMs ?? AGENT_WINDOW_BACKSTOP_MS) : 0;
    const windowMs = Math.max(0, this.spec.limits.windowSeconds * 1000 + backstopMs - (Date.now() - started));
    const window = setTimeout(() => void this.kill('window').catch(() => undefined), windowMs);
    const onAbort = () => void this.kill('cancel').catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    let sample: V1ContainerStatus | undefined;
    try {
      await this.watch.until(() => {
        if (this.watch.deleted) return true;
        sample = statusOfContainer(this.watch.pod, SAMPLE_CONTAINER);
        if (sample?.state?.terminated) return true;
        const phase = this.watch.pod?.status?.phase;
        return phase === 'Succeeded' || phase === 'Failed' ? true : undefined;
      });
    } finally {
      clearTimeout(window);
      signal.removeEventListener('abort', onAbort);
    }
    const t = sample?.state?.terminated;
    return {
      exitCode: t?.exitCode ?? null,
      oomKilled: t?.reason === 'OOMKilled',
      windowExpired: this.killReason === 'window',
      cancelled: this.killReason === 'cancel',
      budgetExceeded: this.killReason === 'budget',
      runMs: Date.now() - started,
    };
  }

  /**
   * Lowers the pod's activeDeadlineSeconds to 1: the kubelet kills it at once and keeps its status
   * and logs (deleting the pod would lose the end of the trace before it is read).
   */
  async kill(reason: 'budget' | 'cancel' | 'window'): Promise<void> {
    this.killReason ??= reason;
    try {
      await this.opts.client.patchPodDeadline(this.ns, SAMPLE_POD, 1);
    } catch (e) {
      const code = statusOf(e);
      if (code !== 404 && code !== 422) throw e;
    }
  }

  async networkStatus(): Promise<SandboxNetworkStatus> {
    if (!this.netsim) return { mode: 'none' };
    return this.netsim.status();
  }

  async limitHits(): Promise<LimitHits> {
    // The node's cgroup counters are not reachable through the API; OOM kills come from the pod status.
    const t = statusOfContainer(this.watch.pod, SAMPLE_CONTAINER)?.state?.terminated;
    // Evicted for ephemeral storage: the kubelet enforced the disk limit (limits.disk).
    const evicted = ephemeralStorageEviction(this.watch.pod) !== undefined;
    return {
      pidsLimitHits: 0, oomKills: t?.reason === 'OOMKilled' ? 1 : 0, peakPids: 0,
      diskLimitHits: evicted ? 1 : 0, diskLimitBytes: this.spec.limits.diskBytes ?? this.opts.ephemeralStorageBytes ?? 1024 ** 3,
    };
  }

  /** The sample container's log (the API merges stdout and stderr: all of it is reported as stdout). */
  async output(capBytes: number): Promise<CapturedOutput> {
    const chunks: Buffer[] = [];
    let size = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (size <= capBytes) chunks.push(chunk);
        size += chunk.length;
        cb();
      },
    });
    const finished = new Promise<void>((resolve) => {
      sink.once('finish', resolve);
      sink.once('close', resolve);
    });
    try {
      const h = await this.opts.client.streamLog(this.ns, SAMPLE_POD, SAMPLE_CONTAINER, sink, { follow: false, limitBytes: capBytes + 1 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<void>((r) => (timer = setTimeout(() => (h.abort(), r()), 5000)))]);
      clearTimeout(timer);
    } catch {
      return { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false };
    }
    const all = Buffer.concat(chunks);
    return { stdout: all.subarray(0, capBytes).toString('utf8'), stderr: '', stdoutTruncated: all.length > capBytes, stderrTruncated: false };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.watch.close();
    this.probeStream?.abort();
    await this.netsim?.close();
    await this.writer.close();
    await this.opts.client.deleteNamespace(this.ns);
    this.destroyed = true;
  }
}

/**
 * The simulator pod of one sandbox (network: simulated): waits for it to run, follows its log (the
 * NetCapture lines netsim.py writes on stdout) into the capture file, and judges its health at the end.
 * Lines that are not capture records (a Python error on stderr, merged into the pod log) are kept as
 * the reason when the simulator is unhealthy.
 */
class SimulatorPod {
  private readonly watch: PodWatch;
  private stream?: WatchHandle;
  private file?: WriteStream;
  private ended = false;
  private lastLineAt = 0;
  private readonly other: string[] = [];
  private closed = false;

  constructor(
    private readonly client: KubeClient,
    private readonly ns: string,
    private readonly capturePath: string,
  ) {
    this.watch = new PodWatch(client, ns, NETSIM_POD);
  }

  /** Resolves with the simulator's pod IP once its container runs. */
  async start(signal: AbortSignal): Promise<string> {
    await this.watch.open();
    const ip = await this.watch.until(() => {
      const fatal = fatalStart(this.watch.pod, this.watch.deleted);
      if (fatal) throw new Error(`network simulator: ${fatal}`);
      const st = statusOfContainer(this.watch.pod, NETSIM_POD);
      if (st?.state?.terminated) throw new Error(`network simulator exited before the sample started (${st.state.terminated.reason ?? st.state.terminated.exitCode})`);
      const podIP = this.watch.pod?.status?.podIP;
      return st?.state?.running && podIP ? podIP : undefined;
    }, signal);
    this.file = createWriteStream(this.capturePath, { flags: 'w', mode: 0o600 });
    const sink = new LineSink(async (line) => {
      this.lastLineAt = Date.now();
      if (line.startsWith('{')) {
        if (!this.file!.write(`${line}\n`)) await new Promise<void>((r) => this.file!.once('drain', () => r()));
      } else if (line.trim() && this.other.length < 20) this.other.push(line.slice(0, 300));
    });
    sink.once('finish', () => (this.ended = true));
    sink.once('close', () => (this.ended = true));
    this.stream = await this.client.streamLog(this.ns, NETSIM_POD, NETSIM_POD, sink, { follow: true });
    return ip;
  }

  /** After the run: lets the log settle (lines in flight), then reports whether the simulator ran throughout. */
  async status(settleMs = 500, maxMs = 3000): Promise<SandboxNetworkStatus> {
    const until = Date.now() + maxMs;
    while (!this.ended && Date.now() < until && Date.now() - this.lastLineAt < settleMs) await sleep(50);
    const st = statusOfContainer(this.watch.pod, NETSIM_POD);
    const running = Boolean(st?.state?.running) && !this.watch.deleted;
    const problems: string[] = [];
    if (!running) {
      const t = st?.state?.terminated;
      problems.push(t ? `the simulator pod's container ended during the run (${t.reason ?? 'exited'}, code ${t.exitCode})` : 'the simulator pod is not running');
    }
    if (this.ended) problems.push('the simulator log stream ended early');
    if (this.other.length > 0 && !running) problems.push(this.other.slice(-3).join(' | '));
    await this.close();
    return { mode: 'simulated', capturePath: this.capturePath, simulatorHealthy: problems.length === 0, ...(problems.length ? { simulatorError: problems.join('; ') } : {}) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.close();
    this.stream?.abort();
    const f = this.file;
    if (f) await new Promise<void>((r) => f.end(() => r()));
  }
}
