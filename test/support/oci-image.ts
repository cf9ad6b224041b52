import { MEDIA_TYPES, type RegistryClient, sha256Digest } from '#core/image/registry-client';

/**
 * A tiny OCI image (config + one text layer + manifest) pushed straight through the registry API,
 * for tests that need a registry digest but never run the image (attestations): no Docker build,
 * no push of a real rootfs. Returns the manifest digest.
 */
export async function pushSyntheticImage(client: RegistryClient, registry: string, repository: string, tag: string, content: string): Promise<string> {
  const layer = Buffer.from(content);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] }, config: {} }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: await client.pushBlob(registry, repository, config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', size: layer.length, digest: await client.pushBlob(registry, repository, layer) }],
  }));
  return (await client.putManifest(registry, repository, tag, MEDIA_TYPES.ociManifest, manifest)).digest;
}
