import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Keys } from '#core/storage/redis-keys';
import { ADMISSION_LABELS, type AdmissionMode } from './admission.config.js';

interface NamespaceInfo {
  mode?: AdmissionMode;
  sandbox: boolean;
}

/**
 * Namespace → admission mode, learnt from the Namespace AdmissionReviews the API server sends us
 * (the webhook configuration also matches `namespaces` CREATE/UPDATE): a pod's review carries only
 * its namespace's name, and no Kubernetes API can be called here. Kept in a Redis hash (shared by
 * API replicas, survives restarts) and mirrored in memory, refreshed in the background; a
 * namespace we have not seen gets the default mode.
 */
export class NamespaceModes {
  private readonly logger = new Logger(NamespaceModes.name);
  private readonly known = new Map<string, NamespaceInfo>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly defaultMode: AdmissionMode,
    private readonly refreshMs = 10_000,
  ) {}

  static fromLabels(labels: Record<string, string>): NamespaceInfo {
    const m = labels[ADMISSION_LABELS.mode];
    return { mode: m === 'warn' || m === 'enforce' ? m : undefined, sandbox: labels[ADMISSION_LABELS.sandbox] === 'true' };
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const all = await this.redis.hgetall(Keys.admissionNamespaces);
      for (const [ns, raw] of Object.entries(all)) this.known.set(ns, JSON.parse(raw) as NamespaceInfo);
    } catch (e) {
      this.logger.debug?.(`namespace modes not refreshed: ${(e as Error).message}`);
    }
  }

  modeOf(namespace: string | undefined): AdmissionMode {
    return (namespace ? this.known.get(namespace)?.mode : undefined) ?? this.defaultMode;
  }

  isSandbox(namespace: string | undefined): boolean {
    return namespace ? this.known.get(namespace)?.sandbox === true : false;
  }

  /** Records a namespace's labels (memory at once, Redis best effort). */
  learn(namespace: string, labels: Record<string, string>): Promise<void> {
    const info = NamespaceModes.fromLabels(labels);
    this.known.set(namespace, info);
    return this.redis.hset(Keys.admissionNamespaces, namespace, JSON.stringify(info)).then(
      () => undefined,
      (e: Error) => this.logger.warn(`namespace ${namespace}: mode not stored in Redis (${e.message}); kept in memory`),
    );
  }

  forget(namespace: string): Promise<void> {
    this.known.delete(namespace);
    return this.redis.hdel(Keys.admissionNamespaces, namespace).then(() => undefined, () => undefined);
  }
}
