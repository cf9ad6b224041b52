import type { SupplyChainPolicy } from '../profiles/profile.js';
import { loadCosignPublicKey, verifyCosignSignature } from './cosign.js';
import type { ImageRef } from './image-ref.js';
import { type RegistryClient, RegistryAuthError, RegistryError } from './registry-client.js';

/** Why the gate refused an image: the analysis ends `rejected`, nothing runs, no retry. */
export type RejectionCode = 'untrusted-registry' | 'local-not-allowed' | 'unsigned' | 'invalid-signature' | 'registry-auth';

export class SupplyChainRejection extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'SupplyChainRejection';
  }
}

/** The tag (or digest) does not exist in the registry: the analysis fails (`error`), not rejected. */
export class SupplyChainNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupplyChainNotFound';
  }
}

/** What the gate decided, stored on the analysis record as `supplyChain`. */
export interface SupplyChainResult {
  /** The reference to pull and analyse: `registry/repo@digest` for registry images, unchanged for local ones. */
  ref: ImageRef;
  source: 'registry' | 'local';
  /** Manifest digest the analysis is pinned to (registry images). */
  digest?: string;
  /** The tag the submission named, when it was resolved through the registry. */
  resolvedTag?: string;
  /** Which allow-list entry admitted it. */
  allowedBy?: string;
  signature: 'verified' | 'not-required';
}

/** Does `registry/repository` fall under `host[:port][/path prefix]` (whole path components)? */
export function matchesRegistryPrefix(registry: string, repository: string, prefix: string): boolean {
  const slash = prefix.indexOf('/');
  const host = slash < 0 ? prefix : prefix.slice(0, slash);
  const path = slash < 0 ? '' : prefix.slice(slash + 1);
  if (host.toLowerCase() !== registry.toLowerCase()) return false;
  return path === '' || repository === path || repository.startsWith(`${path}/`);
}

/** Builds the pinned reference `registry/repository@digest`. */
export function pinRef(ref: ImageRef, digest: string): ImageRef {
  return { raw: `${ref.name}@${digest}`, registry: ref.registry, repository: ref.repository, digest, name: ref.name };
}

/**
 * The supply-chain gate, first step of every analysis: trusted source (the machine's
 * `TRUSTED_REGISTRIES` and the profile's host/path-prefix list), tag → digest through the registry
 * (the digest is what gets analysed and pulled), and the profile's cosign signature when it wants one.
 * Registry outages throw RegistryError (the job retries); policy failures throw SupplyChainRejection.
 */
export class SupplyChainGate {
  constructor(
    private readonly trustedRegistries: readonly string[],
    private readonly registry: RegistryClient,
  ) {}

  async check(ref: ImageRef, policy: SupplyChainPolicy): Promise<SupplyChainResult> {
    try {
      return await this.checkOnce(ref, policy);
    } catch (e) {
      // Wrong or missing credentials: retrying cannot help, so the analysis ends `rejected` naming the registry.
      if (e instanceof RegistryAuthError) throw new SupplyChainRejection('registry-auth', `image ${ref.raw}: ${e.message}`);
      throw e;
    }
  }

  private async checkOnce(ref: ImageRef, policy: SupplyChainPolicy): Promise<SupplyChainResult> {
    if (!ref.registry) {
      if (!policy.allowLocal) {
        throw new SupplyChainRejection('local-not-allowed', `image ${ref.raw} names no registry and the profile does not allow local-only images`);
      }
      if (policy.signature) {
        throw new SupplyChainRejection('unsigned', `image ${ref.raw} names no registry, so it cannot carry the signature the profile requires`);
      }
      return { ref, source: 'local', signature: 'not-required' };
    }
    if (!this.trustedRegistries.some((r) => r.toLowerCase() === ref.registry!.toLowerCase())) {
      throw new SupplyChainRejection('untrusted-registry', `registry ${ref.registry} is not in TRUSTED_REGISTRIES (${this.trustedRegistries.join(', ') || 'empty'})`);
    }
    let allowedBy = ref.registry;
    if (policy.registries) {
      const hit = policy.registries.find((p) => matchesRegistryPrefix(ref.registry!, ref.repository, p));
      if (!hit) {
        throw new SupplyChainRejection('untrusted-registry', `${ref.name} is not under any of the profile's trusted registries (${policy.registries.join(', ') || 'none'})`);
      }
      allowedBy = hit;
    }
    const reference = ref.digest ?? ref.tag ?? 'latest';
    let digest: string;
    try {
      digest = (await this.registry.resolve(ref.registry, ref.repository, reference)).digest;
    } catch (e) {
      if (e instanceof RegistryError && e.status === 404) throw new SupplyChainNotFound(`image ${ref.raw}: ${e.message}`);
      throw e;
    }
    const pinned = pinRef(ref, digest);
    const resolvedTag = ref.digest ? undefined : reference;
    if (!policy.signature) return { ref: pinned, source: 'registry', digest, resolvedTag, allowedBy, signature: 'not-required' };
    const check = await verifyCosignSignature(this.registry, ref.registry, ref.repository, digest, loadCosignPublicKey(policy.signature.publicKeyPem));
    if (!check.ok) throw new SupplyChainRejection(check.code, `image ${pinned.raw}: ${check.reason}`);
    return { ref: pinned, source: 'registry', digest, resolvedTag, allowedBy, signature: 'verified' };
  }
}
