import type { ImageRef } from '#core/image/image-ref';
import { RegistryClient, RegistryError } from '#core/image/registry-client';
import { ImageNotFoundError, ImageVerificationError, type ResolvedImage } from '../sandbox-runtime.js';

/**
 * Image metadata for the Kubernetes runtime, read from the registry (OCI distribution API) because
 * the worker cannot inspect images on the cluster's nodes: the manifest (an index is narrowed to
 * linux/amd64), its digest (checked against a pinned one by the shared RegistryClient, which hashes
 * every manifest and blob it reads), and the config blob's entrypoint, cmd, user, env and working
 * directory. Only trusted registries are asked. The pod then pulls `name@digest`, so the kubelet
 * runs exactly what was read.
 */
export interface RegistryResolverOptions {
  trustedRegistries: string[];
  /** Registries spoken to over plain HTTP (a cluster-local registry); loopback hosts always are. */
  plainHttpRegistries?: string[];
  platform?: { os: string; architecture: string };
  timeoutMs?: number;
}

interface ImageConfig {
  config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string; Env?: string[] | null; WorkingDir?: string };
}

export class RegistryImageResolver {
  private readonly registry: RegistryClient;

  constructor(private readonly opts: RegistryResolverOptions) {
    this.registry = new RegistryClient({ timeoutMs: opts.timeoutMs ?? 15_000, plainHttpRegistries: opts.plainHttpRegistries });
  }

  async resolve(ref: ImageRef): Promise<ResolvedImage> {
    if (!ref.registry || !this.opts.trustedRegistries.includes(ref.registry)) {
      throw new ImageNotFoundError(`image ${ref.raw}: the kubernetes runtime reads images only from trusted registries (TRUSTED_REGISTRIES), and ${ref.registry ?? 'the default registry'} is not one`);
    }
    const { registry, repository } = ref;
    try {
      const top = await this.registry.manifest(registry, repository, ref.digest ?? ref.tag ?? 'latest');
      let manifest = top.json;
      if (manifest.manifests) {
        const want = this.opts.platform ?? { os: 'linux', architecture: 'amd64' };
        const m = manifest.manifests.find((x) => x.platform?.os === want.os && x.platform?.architecture === want.architecture);
        if (!m) throw new ImageNotFoundError(`image ${ref.raw}: no ${want.os}/${want.architecture} manifest in the index`);
        manifest = (await this.registry.manifest(registry, repository, m.digest)).json;
      }
      if (!manifest.config?.digest) throw new ImageVerificationError(`image ${ref.raw}: the manifest has no config`);
      const cfg = (JSON.parse((await this.registry.blob(registry, repository, manifest.config.digest)).toString('utf8')) as ImageConfig).config ?? {};
      const name = `${registry}/${repository}`;
      return {
        imageId: manifest.config.digest,
        digest: top.digest,
        repoDigests: [`${name}@${top.digest}`],
        repoTags: ref.tag ? [`${name}:${ref.tag}`] : [],
        entrypoint: cfg.Entrypoint ?? [],
        cmd: cfg.Cmd ?? [],
        user: cfg.User ?? '',
        env: cfg.Env ?? [],
        workingDir: cfg.WorkingDir ?? '',
      };
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      if (e.status === 404) throw new ImageNotFoundError(`image ${ref.raw}: ${e.message}`);
      // Content that does not hash to the digest it was asked for (or announced) is a verification failure.
      if (e.status === undefined && /hashes to|does not match/.test(e.message)) throw new ImageVerificationError(`image ${ref.raw}: ${e.message}`);
      throw e;
    }
  }
}
