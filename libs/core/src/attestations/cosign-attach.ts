import { COSIGN } from '../image/cosign.js';
import { MEDIA_TYPES, type Manifest, type RegistryClient, RegistryError, sha256Digest } from '../image/registry-client.js';
import { MAX_ENVELOPE_BYTES } from './dsse.js';

/**
 * Attaches a DSSE attestation to an image the way `cosign attest` does (cosign's
 * specs/ATTESTATION_SPEC.md): an OCI image manifest at tag `sha256-<hex>.att` in the image's
 * repository, one layer per attestation, media type `application/vnd.dsse.envelope.v1+json`,
 * annotated `dev.cosignproject.cosign/signature: ""` (the signature is inside the envelope) and
 * `predicateType`. Layers of other predicate types (an SBOM someone attached with cosign) are kept;
 * earlier layers of Quarantine's predicate type are replaced, like `cosign attest --replace`, so the
 * tag carries one current verdict, never an old `clean` beside a newer `malicious`.
 * The manifest also names the image as its OCI 1.1 `subject`: a registry with the referrers API
 * lists it at GET /v2/<name>/referrers/<digest>; one without it ignores the field.
 */
export const DSSE_LAYER_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
/** Other attestations kept on the tag, at most (the newest). */
const MAX_KEPT_LAYERS = 31;

export function attestationTag(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`digest "${digest}" is not sha256:<64 hex>`);
  return `${digest.replace(':', '-')}.att`;
}

type Layer = NonNullable<Manifest['json']['layers']>[number];

export interface AttachResult {
  tag: string;
  manifestDigest: string;
  layers: number;
  /** Whether the registry has the OCI 1.1 referrers API (the manifest is then also listed as a referrer of the image). */
  referrersApi: boolean;
}

export async function attachAttestation(
  client: RegistryClient,
  target: { registry: string; repository: string; digest: string },
  envelope: Buffer,
  predicateType: string,
  signal?: AbortSignal,
): Promise<AttachResult> {
  const { registry, repository, digest } = target;
  const tag = attestationTag(digest);
  // The image's manifest (for the subject descriptor), the tag's current layers and the envelope's upload are independent.
  const [image, existing] = await Promise.all([
    client.manifest(registry, repository, digest, signal),
    client.manifest(registry, repository, tag, signal).catch((e: unknown) => {
      if (e instanceof RegistryError && e.status === 404) return null;
      throw e;
    }),
    client.pushBlob(registry, repository, envelope, signal),
  ]);
  const kept = (existing?.json.layers ?? []).filter((l) => !(l.mediaType === DSSE_LAYER_MEDIA_TYPE && l.annotations?.[PREDICATE_TYPE_ANNOTATION] === predicateType)).slice(-MAX_KEPT_LAYERS);
  const layer: Layer = {
    mediaType: DSSE_LAYER_MEDIA_TYPE,
    size: envelope.length,
    digest: sha256Digest(envelope),
    annotations: { [COSIGN.signatureAnnotation]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
  const layers = [...kept, layer];
  // cosign's config for signature/attestation images: an empty image whose rootfs lists the layers.
  const config = Buffer.from(JSON.stringify({
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: [{ created: '0001-01-01T00:00:00Z' }],
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  }));
  const configDigest = await client.pushBlob(registry, repository, config, signal);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: OCI_CONFIG_MEDIA_TYPE, size: config.length, digest: configDigest },
    layers,
    subject: { mediaType: image.mediaType.split(';')[0] || MEDIA_TYPES.ociManifest, size: image.body.length, digest },
  }));
  const put = await client.putManifest(registry, repository, tag, MEDIA_TYPES.ociManifest, manifest, signal);
  const referrersApi = put.subjectAccepted || (await referrersSupport(client, registry, repository, digest, signal));
  return { tag, manifestDigest: put.digest, layers: layers.length, referrersApi };
}

const referrersCache = new Map<string, { supported: boolean; until: number }>();

/** Whether a registry has the referrers API, asked once per registry every 10 minutes (not per attestation). */
async function referrersSupport(client: RegistryClient, registry: string, repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
  const hit = referrersCache.get(registry);
  if (hit && hit.until > Date.now()) return hit.supported;
  const supported = await client.hasReferrersApi(registry, repository, digest, signal).catch(() => false);
  referrersCache.set(registry, { supported, until: Date.now() + 600_000 });
  return supported;
}

/** Reads the attestation layers of a predicate type back from the `.att` tag (tests, and anyone checking what was attached). */
export async function fetchAttestations(client: RegistryClient, target: { registry: string; repository: string; digest: string }, predicateType: string): Promise<Buffer[]> {
  const m = await client.manifest(target.registry, target.repository, attestationTag(target.digest));
  const layers = (m.json.layers ?? []).filter((l) => l.mediaType === DSSE_LAYER_MEDIA_TYPE && l.annotations?.[PREDICATE_TYPE_ANNOTATION] === predicateType);
  return Promise.all(layers.map((l) => client.blob(target.registry, target.repository, l.digest, MAX_ENVELOPE_BYTES)));
}
