import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { type RegistryClient, RegistryError } from './registry-client.js';

/**
 * cosign key-based signatures (no transparency log, no certificates): the signature manifest sits at
 * tag `sha256-<hex>.sig` of the image's repository; each layer of media type
 * `application/vnd.dev.cosign.simplesigning.v1+json` is a simple-signing payload whose
 * `dev.cosignproject.cosign/signature` annotation holds a base64 DER ECDSA signature over the
 * payload's SHA-256. The payload must name the image's digest (and its repository).
 */
export const COSIGN = {
  payloadMediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  signatureAnnotation: 'dev.cosignproject.cosign/signature',
  simpleSigningType: 'cosign container image signature',
} as const;

export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** Loads and checks a cosign public key (PEM, ECDSA P-256). Throws with a readable reason. */
export function loadCosignPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new Error(`is not a PEM public key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`must be an ECDSA P-256 key, got ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
  }
  return key;
}

export type SignatureCheck =
  | { ok: true; signatures: number; dockerReference: string }
  | { ok: false; code: 'unsigned' | 'invalid-signature'; reason: string };

interface SimpleSigning {
  critical?: { identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown }; type?: unknown };
}

/**
 * Verifies that `registry/repository@digest` carries at least one valid signature by `key`.
 * Registry failures other than a missing signature manifest throw RegistryError (retryable).
 */
export async function verifyCosignSignature(
  client: RegistryClient,
  registry: string,
  repository: string,
  digest: string,
  key: KeyObject,
): Promise<SignatureCheck> {
  let manifest;
  try {
    manifest = await client.manifest(registry, repository, signatureTag(digest));
  } catch (e) {
    if (e instanceof RegistryError && e.status === 404) {
      return { ok: false, code: 'unsigned', reason: `no signature: ${registry}/${repository}:${signatureTag(digest)} does not exist` };
    }
    throw e;
  }
  const layers = (manifest.json.layers ?? []).filter((l) => l.mediaType === COSIGN.payloadMediaType);
  if (layers.length === 0) return { ok: false, code: 'unsigned', reason: `signature manifest ${signatureTag(digest)} has no simple-signing layer` };
  const expectedRef = `${registry}/${repository}`;
  const failures: string[] = [];
  for (const layer of layers) {
    const sigB64 = layer.annotations?.[COSIGN.signatureAnnotation];
    if (!sigB64) {
      failures.push(`layer ${layer.digest}: no ${COSIGN.signatureAnnotation} annotation`);
      continue;
    }
    const payload = await client.blob(registry, repository, layer.digest, 64 * 1024);
    let valid = false;
    try {
      valid = verify('sha256', payload, { key, dsaEncoding: 'der' }, Buffer.from(sigB64, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) {
      failures.push(`layer ${layer.digest}: signature does not verify with the profile's public key`);
      continue;
    }
    let doc: SimpleSigning;
    try {
      doc = JSON.parse(payload.toString('utf8')) as SimpleSigning;
    } catch {
      failures.push(`layer ${layer.digest}: payload is not JSON`);
      continue;
    }
    const signedDigest = doc.critical?.image?.['docker-manifest-digest'];
    if (signedDigest !== digest) {
      failures.push(`layer ${layer.digest}: payload signs digest ${String(signedDigest)}, not ${digest}`);
      continue;
    }
    const signedRef = doc.critical?.identity?.['docker-reference'];
    if (typeof signedRef === 'string' && stripTag(signedRef) !== expectedRef) {
      failures.push(`layer ${layer.digest}: payload names ${signedRef}, not ${expectedRef}`);
      continue;
    }
    return { ok: true, signatures: layers.length, dockerReference: typeof signedRef === 'string' ? signedRef : expectedRef };
  }
  return { ok: false, code: 'invalid-signature', reason: `invalid signature: ${failures.join('; ')}` };
}

function stripTag(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}
