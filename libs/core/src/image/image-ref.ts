/**
 * Container image references: `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, following the
 * distribution reference grammar (lower-case path components, tag ≤ 128 chars).
 */
export interface ImageRef {
  /** As submitted, trimmed. */
  raw: string;
  /** Registry host (with port), or undefined for the default registry. */
  registry?: string;
  /** Repository path without registry, e.g. `library/nginx` or `quarantine-samples/hello`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository` as Docker names it locally. */
  name: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*(?::\d{1,5})?$/;

export class ImageRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRefError';
  }
}

export function parseImageRef(input: unknown): ImageRef {
  if (typeof input !== 'string') throw new ImageRefError('must be a string');
  const raw = input.trim();
  if (raw.length === 0) throw new ImageRefError('must not be empty');
  if (raw.length > 512) throw new ImageRefError('must be at most 512 characters');
  if (/\s/.test(raw)) throw new ImageRefError('must not contain whitespace');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageRefError(`digest "${digest}" must be sha256:<64 lower-case hex>`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`tag "${tag}" is not valid`);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift();
    if (!registry || !HOST.test(registry)) throw new ImageRefError(`registry "${registry}" is not a valid host`);
    const port = /:(\d+)$/.exec(registry)?.[1];
    if (port !== undefined && (port.startsWith('0') || Number(port) > 65535)) throw new ImageRefError(`registry "${registry}" has port ${port}; a port is 1 to 65535`);
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    throw new ImageRefError(`repository "${parts.join('/')}" must be lower-case components separated by "/"`);
  }
  const repository = parts.join('/');
  return { raw, registry, repository, tag, digest, name: registry ? `${registry}/${repository}` : repository };
}

/** Reference Docker can resolve locally: `name@digest` if pinned, else `name:tag` (default `latest`). */
export function dockerRef(ref: ImageRef): string {
  if (ref.digest) return ref.tag ? `${ref.name}:${ref.tag}` : `${ref.name}@${ref.digest}`;
  return `${ref.name}:${ref.tag ?? 'latest'}`;
}
