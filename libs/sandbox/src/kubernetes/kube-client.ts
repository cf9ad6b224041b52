import type { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

/**
 * The only place that talks to the Kubernetes API. Deliberately dumb (one method per API call): the
 * runtime holds the logic and is unit-tested against a fake of this interface, since no API server
 * can run on the build machine; the real-cluster suite (`npm run test:k8s`) exercises this adapter.
 */
export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `Active` or `Terminating`. */
  phase?: string;
}

export interface WatchHandle {
  abort(): void;
}

export type PodEvent = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface KubeClient {
  create(obj: KubeObject): Promise<void>;
  /** Deletes a namespace and everything in it (background); `absent` when it was already gone. */
  deleteNamespace(name: string): Promise<'deleted' | 'absent'>;
  listNamespaces(labelSelector: string): Promise<NamespaceInfo[]>;
  /** Lowers a pod's activeDeadlineSeconds: the kubelet then kills it and keeps its status and logs. */
  patchPodDeadline(namespace: string, name: string, seconds: number): Promise<void>;
  listPods(namespace: string, opts: { labelSelector?: string; fieldSelector?: string }): Promise<k8s.V1Pod[]>;
  /** Watches one pod; `onDone` fires when the server ends the watch (normal close: err undefined). */
  watchPod(namespace: string, name: string, onEvent: (type: PodEvent, pod: k8s.V1Pod) => void, onDone: (err?: Error) => void): Promise<WatchHandle>;
  /** Streams a container's log into `sink` (ended when the stream ends). */
  streamLog(namespace: string, pod: string, container: string, sink: Writable, opts: { follow: boolean; sinceTime?: string; limitBytes?: number }): Promise<WatchHandle>;
  ping(): Promise<boolean>;
}

/** An API error with its HTTP status (404 absent, 409 conflict, 403 forbidden…). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export function statusOf(e: unknown): number | undefined {
  if (e instanceof KubeApiError) return e.status;
  const o = e as { code?: unknown; statusCode?: unknown };
  if (typeof o?.code === 'number') return o.code;
  if (typeof o?.statusCode === 'number') return o.statusCode;
  return undefined;
}

function wrap(e: unknown, what: string): KubeApiError {
  const status = statusOf(e) ?? 0;
  const body = (e as { body?: unknown }).body;
  let detail = (e as Error).message ?? String(e);
  if (typeof body === 'string') {
    try {
      detail = (JSON.parse(body) as { message?: string }).message ?? detail;
    } catch {
      detail = body.slice(0, 300) || detail;
    }
  } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    detail = (body as { message: string }).message;
  }
  return new KubeApiError(status, `${what}: ${status || ''} ${detail}`.trim());
}

/** The client-node adapter: kubeconfig from KUBECONFIG / ~/.kube/config, or the in-cluster service account. */
export class ClientNodeKubeClient implements KubeClient {
  private readonly core: k8s.CoreV1Api;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly watcher: k8s.Watch;
  private readonly logs: k8s.Log;

  constructor(readonly config: k8s.KubeConfig = ClientNodeKubeClient.defaultConfig()) {
    this.core = config.makeApiClient(k8s.CoreV1Api);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(config);
    this.watcher = new k8s.Watch(config);
    this.logs = new k8s.Log(config);
  }

  static defaultConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    return kc;
  }

  async create(obj: KubeObject): Promise<void> {
    try {
      await this.objects.create(obj as k8s.KubernetesObject);
    } catch (e) {
      throw wrap(e, `create ${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`);
    }
  }

  async deleteNamespace(name: string): Promise<'deleted' | 'absent'> {
    try {
      await this.core.deleteNamespace({ name, propagationPolicy: 'Background' });
      return 'deleted';
    } catch (e) {
      if (statusOf(e) === 404) return 'absent';
      throw wrap(e, `delete namespace ${name}`);
    }
  }

  async listNamespaces(labelSelector: string): Promise<NamespaceInfo[]> {
    try {
      const list = await this.core.listNamespace({ labelSelector });
      return list.items.map((n) => ({
        name: n.metadata?.name ?? '',
        labels: n.metadata?.labels ?? {},
        annotations: n.metadata?.annotations ?? {},
        phase: n.status?.phase,
      }));
    } catch (e) {
      throw wrap(e, `list namespaces ${labelSelector}`);
    }
  }

  async patchPodDeadline(namespace: string, name: string, seconds: number): Promise<void> {
    try {
      await this.core.patchNamespacedPod(
        { namespace, name, body: { spec: { activeDeadlineSeconds: seconds } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (e) {
      throw wrap(e, `patch pod ${namespace}/${name}`);
    }
  }

  async listPods(namespace: string, opts: { labelSelector?: string; fieldSelector?: string }): Promise<k8s.V1Pod[]> {
    try {
      return (await this.core.listNamespacedPod({ namespace, ...opts })).items;
    } catch (e) {
      throw wrap(e, `list pods in ${namespace}`);
    }
  }

  async watchPod(namespace: string, name: string, onEvent: (type: PodEvent, pod: k8s.V1Pod) => void, onDone: (err?: Error) => void): Promise<WatchHandle> {
    const ac = await this.watcher.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { fieldSelector: `metadata.name=${name}` },
      (type, obj) => onEvent(type as PodEvent, obj as k8s.V1Pod),
      (err) => onDone(err ? (err instanceof Error ? err : new Error(String(err))) : undefined),
    );
    return { abort: () => ac.abort() };
  }

  async streamLog(namespace: string, pod: string, container: string, sink: Writable, opts: { follow: boolean; sinceTime?: string; limitBytes?: number }): Promise<WatchHandle> {
    try {
      const ac = await this.logs.log(namespace, pod, container, sink, { follow: opts.follow, sinceTime: opts.sinceTime, limitBytes: opts.limitBytes });
      return { abort: () => ac.abort() };
    } catch (e) {
      throw wrap(e, `log of ${namespace}/${pod}/${container}`);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.core.listNamespace({ limit: 1, labelSelector: 'quarantine.io/sandbox=true' });
      return true;
    } catch {
      return false;
    }
  }
}
