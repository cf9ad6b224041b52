import type { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient, type KubeObject, type NamespaceInfo, type PodEvent, type WatchHandle } from '#sandbox/kubernetes/kube-client';

/**
 * A fake of the Kubernetes API at the client boundary (KubeClient), because no API server can run
 * on this machine. It records every call in order, keeps what was created, lets a test play the
 * kubelet (pod watch events, container log lines) and inject failures per call.
 */
export class FakeKubeClient implements KubeClient {
  readonly calls: string[] = [];
  readonly created: KubeObject[] = [];
  readonly namespaces = new Map<string, NamespaceInfo>();
  readonly deleted: string[] = [];
  readonly patches: { namespace: string; name: string; seconds: number }[] = [];
  /** Return an error to make the call fail (called with the call's label, e.g. `create NetworkPolicy`). */
  fail: (call: string) => Error | undefined = () => undefined;
  /** Called after a successful deadline patch (a test can play the kubelet killing the pod). */
  onPatch?: (namespace: string, name: string) => void;
  /** Lines of containers' logs read without follow (output()). */
  readonly staticLogs = new Map<string, string>();
  private watchers: { namespace: string; name: string; onEvent: (t: PodEvent, p: V1Pod) => void; onDone: (e?: Error) => void; open: boolean }[] = [];
  private streams = new Map<string, Writable>();
  pingResult = true;

  private check(call: string): void {
    this.calls.push(call);
    const e = this.fail(call);
    if (e) throw e;
  }

  async create(obj: KubeObject): Promise<void> {
    this.check(`create ${obj.kind}`);
    this.created.push(structuredClone(obj));
    if (obj.kind === 'Namespace') {
      const m = obj.metadata as { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      this.namespaces.set(m.name, { name: m.name, labels: m.labels ?? {}, annotations: m.annotations ?? {}, phase: 'Active' });
    }
  }

  async deleteNamespace(name: string): Promise<'deleted' | 'absent'> {
    this.check(`delete Namespace ${name}`);
    const ns = this.namespaces.get(name);
    if (!ns || ns.phase === 'Terminating') return 'absent';
    ns.phase = 'Terminating';
    this.deleted.push(name);
    return 'deleted';
  }

  async listNamespaces(labelSelector: string): Promise<NamespaceInfo[]> {
    this.check(`list Namespace ${labelSelector}`);
    const want = labelSelector.split(',').map((p) => p.split('='));
    return [...this.namespaces.values()].filter((n) => want.every(([k, v]) => n.labels[k] === v));
  }

  async patchPodDeadline(namespace: string, name: string, seconds: number): Promise<void> {
    this.check(`patch Pod ${name} activeDeadlineSeconds=${seconds}`);
    this.patches.push({ namespace, name, seconds });
    this.onPatch?.(namespace, name);
  }

  readonly pods: V1Pod[] = [];
  async listPods(namespace: string, opts: { labelSelector?: string; fieldSelector?: string }): Promise<V1Pod[]> {
    this.check(`list Pod ${namespace} ${opts.labelSelector ?? ''} ${opts.fieldSelector ?? ''}`.trim());
    return this.pods.filter((p) => p.metadata?.namespace === namespace);
  }

  async watchPod(namespace: string, name: string, onEvent: (t: PodEvent, p: V1Pod) => void, onDone: (e?: Error) => void): Promise<WatchHandle> {
    this.check(`watch Pod ${name}`);
    const w = { namespace, name, onEvent, onDone, open: true };
    this.watchers.push(w);
    return { abort: () => (w.open = false) };
  }

  async streamLog(namespace: string, pod: string, container: string, sink: Writable, opts: { follow: boolean; sinceTime?: string; limitBytes?: number }): Promise<WatchHandle> {
    this.check(`log ${namespace}/${pod}/${container}${opts.follow ? ' follow' : ''}${opts.sinceTime ? ` since=${opts.sinceTime}` : ''}`);
    if (!opts.follow) {
      const text = this.staticLogs.get(container) ?? '';
      sink.end(opts.limitBytes ? text.slice(0, opts.limitBytes) : text);
      return { abort: () => undefined };
    }
    this.streams.set(container, sink);
    return { abort: () => sink.end() };
  }

  async ping(): Promise<boolean> {
    return this.pingResult;
  }

  // ---- the test plays the kubelet ----

  get openWatches(): number {
    return this.watchers.filter((w) => w.open).length;
  }

  podEvent(type: PodEvent, pod: V1Pod): void {
    for (const w of this.watchers) if (w.open && w.name === (pod.metadata?.name ?? w.name)) w.onEvent(type, structuredClone(pod));
  }

  /** The server ends the open watches (normal close). */
  endWatches(err?: Error): void {
    for (const w of [...this.watchers]) {
      if (!w.open) continue;
      w.open = false;
      w.onDone(err);
    }
  }

  hasStream(container: string): boolean {
    return this.streams.has(container);
  }

  /** Writes to a followed container log (lines joined with newlines). */
  async log(container: string, ...lines: string[]): Promise<void> {
    const s = this.streams.get(container);
    if (!s) throw new Error(`no log stream for ${container}`);
    await new Promise<void>((r) => s.write(lines.map((l) => `${l}\n`).join(''), () => r()));
  }

  endLog(container: string): void {
    this.streams.get(container)?.end();
  }

  /** The calls with the last sandbox namespace's name replaced by `<ns>`. */
  sequence(): string[] {
    const ns = [...this.namespaces.keys()].at(-1);
    return ns ? this.calls.map((c) => c.split(ns).join('<ns>')) : [...this.calls];
  }

  lastNamespace(): string {
    const ns = [...this.namespaces.keys()].at(-1);
    if (!ns) throw new Error('no namespace created');
    return ns;
  }
}

export function apiError(status: number, message = 'injected'): KubeApiError {
  return new KubeApiError(status, message);
}

type C = { name: string; state: Record<string, unknown>; containerID?: string };

/** A pod status as the kubelet reports it. */
export function podWith(opts: { name?: string; phase?: string; init?: C[]; containers?: C[]; nodeName?: string; reason?: string; creationTimestamp?: string; podIP?: string }): V1Pod {
  return {
    metadata: { name: opts.name ?? 'sample', creationTimestamp: (opts.creationTimestamp ?? '2026-01-01T00:00:10Z') as unknown as Date },
    spec: { containers: [], nodeName: opts.nodeName ?? 'node-a' },
    status: { phase: opts.phase ?? 'Pending', reason: opts.reason, podIP: opts.podIP, initContainerStatuses: opts.init as never, containerStatuses: opts.containers as never },
  };
}

export const running = (name: string, id = `containerd://${name}0123456789abcdef`): C => ({ name, state: { running: { startedAt: new Date() } }, containerID: id });
export const waiting = (name: string, reason: string, message?: string): C => ({ name, state: { waiting: { reason, message } } });
export const terminated = (name: string, exitCode: number, reason = 'Completed', id = `containerd://${name}0123456789abcdef`): C => ({ name, state: { terminated: { exitCode, reason } }, containerID: id });

async function untilCalled(client: FakeKubeClient, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`kubelet: condition not reached; calls: ${client.calls.join(', ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Plays the kubelet for the simulated network's pod (network: simulated): running with `ip`, its log followed. */
export async function playSimulatorPod(client: FakeKubeClient, ip = '10.42.0.9'): Promise<void> {
  await untilCalled(client, () => client.calls.includes('watch Pod netsim'));
  client.podEvent('ADDED', podWith({ name: 'netsim', phase: 'Running', podIP: ip, containers: [running('netsim')] }));
  await untilCalled(client, () => client.hasStream('netsim'));
}

/** Resolves once the sample pod is created (after its watch opened; a simulator pod may come first). */
export function samplePodCreated(client: FakeKubeClient): Promise<void> {
  return untilCalled(client, () => client.calls.includes('watch Pod sample') && client.calls.lastIndexOf('create Pod') > client.calls.indexOf('watch Pod sample'));
}
