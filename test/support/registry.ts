import { execFileSync } from 'node:child_process';
import { type KeyObject, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { COSIGN, signatureTag } from '#core/image/cosign';
import { MEDIA_TYPES } from '#core/image/registry-client';

/**
 * The local registry (Debian's docker-registry, started by scripts/host-deps.sh on 127.0.0.1:5000)
 * and a cosign-format signer written with node:crypto (no cosign binary here): key pairs, pushes of
 * locally built images, and signature manifests exactly as `cosign sign --key` lays them out.
 */
export const REGISTRY = process.env.QUARANTINE_TEST_REGISTRY ?? '127.0.0.1:5000';

export async function registryUp(): Promise<boolean> {
  return (await fetch(`http://${REGISTRY}/v2/`).catch(() => null))?.ok === true;
}

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const copies = new Map<string, string>();

/**
 * A copy of a shared sample image with an image id of its own (one LABEL on top), so pushing it never
 * adds registry RepoDigests to the samples other tests analyse as local-only images. One copy per
 * sample per test process: pushing the same sample twice pushes the same content (same digest).
 */
export function testCopy(source: string): string {
  let tag = copies.get(source);
  if (tag) return tag;
  tag = `quarantine-test/regcopy-${source.replace(/[^a-z0-9]+/g, '-')}:${RUN}`;
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM ${source}\nLABEL org.quarantine.test-copy="${RUN}"\n`, stdio: ['pipe', 'ignore', 'ignore'] });
  copies.set(source, tag);
  return tag;
}

/** Removes the copies this process built, with every tag pushes gave them. */
export function removeTestCopies(): void {
  for (const tag of copies.values()) {
    try {
      execFileSync('docker', ['image', 'rm', '-f', execFileSync('docker', ['image', 'inspect', tag, '--format', '{{.Id}}'], { encoding: 'utf8' }).trim()], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  copies.clear();
}

/** Pushes a copy of a local sample image (see `testCopy`) to the registry; returns the manifest digest Docker reports. */
export function pushImage(localImage: string, repository: string, tag: string): string {
  const target = `${REGISTRY}/${repository}:${tag}`;
  execFileSync('docker', ['tag', testCopy(localImage), target]);
  const out = execFileSync('docker', ['push', target], { encoding: 'utf8' });
  const m = /digest: (sha256:[a-f0-9]{64})/.exec(out);
  if (!m) throw new Error(`docker push ${target} printed no digest:\n${out}`);
  return m[1];
}

/** Removes local tags this test created (never images it did not make). */
export function removeLocalTags(refs: string[]): void {
  for (const r of refs) {
    try {
      execFileSync('docker', ['image', 'rm', '--no-prune', r], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

export interface TestKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function cosignKeyPair(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function digestOf(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function pushBlob(repository: string, body: Buffer): Promise<string> {
  const digest = digestOf(body);
  const start = await fetch(`http://${REGISTRY}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const loc = new URL(start.headers.get('location')!, `http://${REGISTRY}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return digest;
}

export interface SignOptions {
  /** Sign this digest in the payload instead of the real one (tampering). */
  payloadDigest?: string;
  /** docker-reference in the payload (default: registry/repository). */
  dockerReference?: string;
  /** Sign with this key but publish a payload that differs from what was signed. */
  tamperPayloadAfterSigning?: boolean;
}

/** Pushes a cosign signature manifest for `repository@digest` (tag `sha256-<hex>.sig`). */
export async function cosignSign(key: TestKey, repository: string, digest: string, opts: SignOptions = {}): Promise<void> {
  const payloadDoc = {
    critical: {
      identity: { 'docker-reference': opts.dockerReference ?? `${REGISTRY}/${repository}` },
      image: { 'docker-manifest-digest': opts.payloadDigest ?? digest },
      type: COSIGN.simpleSigningType,
    },
    optional: null,
  };
  const signed = Buffer.from(JSON.stringify(payloadDoc));
  const signature = sign('sha256', signed, { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
  const published = opts.tamperPayloadAfterSigning
    ? Buffer.from(JSON.stringify({ ...payloadDoc, optional: { tampered: true } }))
    : signed;
  const payloadDigest = await pushBlob(repository, published);
  const config = Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [payloadDigest] } }));
  const configDigest = await pushBlob(repository, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: COSIGN.payloadMediaType, size: published.length, digest: payloadDigest, annotations: { [COSIGN.signatureAnnotation]: signature } }],
  };
  const res = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${signatureTag(digest)}`, {
    method: 'PUT',
    headers: { 'content-type': MEDIA_TYPES.ociManifest },
    body: JSON.stringify(manifest),
  });
  if (res.status !== 201) throw new Error(`signature manifest push: ${res.status} ${await res.text()}`);
}
