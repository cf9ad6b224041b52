import { type ImageRef } from '#core/image/image-ref';
import { type RegistryClient } from '#core/image/registry-client';

/**
 * Tag → digest through the registry, cached for a short TTL. Concurrent lookups of one tag share a
 * request; a lookup outlives the admission call that started it, so a slow registry's answer still
 * warms the cache for the API server's retry.
 */
export class TagResolver {
  private readonly cache = new Map<string, { digest: string; at: number }>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  private key(ref: ImageRef): string {
    return `${ref.name}:${ref.tag ?? 'latest'}`;
  }

  peek(ref: ImageRef): string | undefined {
    const c = this.cache.get(this.key(ref));
    if (!c) return undefined;
    if (Date.now() - c.at > this.ttlMs) {
      this.cache.delete(this.key(ref));
      return undefined;
    }
    return c.digest;
  }

  resolve(ref: ImageRef): Promise<string> {
    if (!ref.registry) return Promise.reject(new Error(`${ref.raw} names no registry`));
    const hit = this.peek(ref);
    if (hit) return Promise.resolve(hit);
    const key = this.key(ref);
    let p = this.inflight.get(key);
    if (p) return p;
    p = this.client
      .resolve(ref.registry, ref.repository, ref.tag ?? 'latest')
      .then(({ digest }) => {
        if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, { digest, at: Date.now() });
        return digest;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
