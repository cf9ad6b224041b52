import { createHash } from 'node:crypto';
import type { ImageRef } from '#core/image/image-ref';
import { ImageNotFoundError, ImageVerificationError, type ResolvedImage } from '../sandbox-runtime.js';

/**
 * Image metadata for the Kubernetes runtime, read from the registry (OCI distribution API) because
 * the worker cannot inspect images on the cluster's nodes: the manifest (an index is narrowed to
 * linux/amd64), its digest (checked against a pinned one, by hashing the bytes we got), and the
 * config blob's entrypoint, cmd, user, env and working directory. Only trusted registries are asked;
 * anonymous pulls only. The pod then pulls `name@digest`, so the kubelet runs exactly what was read.
 */
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryResolverOptions {
  trustedRegistries: string[];
  /** Registries spoken to over plain HTTP (a cluster-local registry); loopback hosts always are. */
  plainHttpRegistries?: string[];
  platform?: { os: string; architecture: string };
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface Manifest {
  mediaType?: string;
  manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
  config?: { digest: string };
}

interface ImageConfig {
  config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string; Env?: string[] | null; WorkingDir?: string };
}

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

export class RegistryImageResolver {
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: RegistryResolverOptions) {
    this.fetch = opts.fetch ?? fetch;
  }

  private base(registry: string): string {
    const host = registry.replace(/:\d+$/, '');
    const plain = ['localhost', '127.0.0.1', '[::1]'].includes(host) || (this.opts.plainHttpRegistries ?? []).includes(registry);
    return `${plain ? 'http' : 'https'}://${registry}/v2`;
  }

  private async get(url: string, accept?: string): Promise<Buffer> {
    const res = await this.fetch(url, { headers: accept ? { accept } : {}, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000), redirect: 'follow' });
    if (res.status === 404) throw new ImageNotFoundError(`${url}: not found in the registry`);
    if (!res.ok) throw new Error(`${url}: registry answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async resolve(ref: ImageRef): Promise<ResolvedImage> {
    if (!ref.registry || !this.opts.trustedRegistries.includes(ref.registry)) {
      throw new ImageNotFoundError(`image ${ref.raw}: the kubernetes runtime reads images only from trusted registries (TRUSTED_REGISTRIES), and ${ref.registry ?? 'the default registry'} is not one`);
    }
    const base = `${this.base(ref.registry)}/${ref.repository}`;
    const top = await this.get(`${base}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`, ACCEPT);
    const topDigest = sha256(top);
    if (ref.digest && topDigest !== ref.digest) throw new ImageVerificationError(`image ${ref.raw}: the registry's manifest hashes to ${topDigest}, not the pinned ${ref.digest}`);
    let manifest = JSON.parse(top.toString('utf8')) as Manifest;
    if (manifest.manifests) {
      const want = this.opts.platform ?? { os: 'linux', architecture: 'amd64' };
      const m = manifest.manifests.find((x) => x.platform?.os === want.os && x.platform?.architecture === want.architecture);
      if (!m) throw new ImageNotFoundError(`image ${ref.raw}: no ${want.os}/${want.architecture} manifest in the index`);
      const body = await this.get(`${base}/manifests/${m.digest}`, ACCEPT);
      if (sha256(body) !== m.digest) throw new ImageVerificationError(`image ${ref.raw}: platform manifest does not hash to ${m.digest}`);
      manifest = JSON.parse(body.toString('utf8')) as Manifest;
    }
    if (!manifest.config?.digest) throw new ImageVerificationError(`image ${ref.raw}: the manifest has no config`);
    const configBytes = await this.get(`${base}/blobs/${manifest.config.digest}`);
    if (sha256(configBytes) !== manifest.config.digest) throw new ImageVerificationError(`image ${ref.raw}: config blob does not hash to ${manifest.config.digest}`);
    const cfg = (JSON.parse(configBytes.toString('utf8')) as ImageConfig).config ?? {};
    const name = `${ref.registry}/${ref.repository}`;
    return {
      imageId: manifest.config.digest,
      digest: topDigest,
      repoDigests: [`${name}@${topDigest}`],
      repoTags: ref.tag ? [`${name}:${ref.tag}`] : [],
      entrypoint: cfg.Entrypoint ?? [],
      cmd: cfg.Cmd ?? [],
      user: cfg.User ?? '',
      env: cfg.Env ?? [],
      workingDir: cfg.WorkingDir ?? '',
    };
  }
}
