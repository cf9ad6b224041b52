import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseImageRef } from '#core/image/image-ref';
import { ImageNotFoundError, ImageVerificationError } from '../sandbox-runtime.js';
import { RegistryImageResolver } from './registry-resolver.js';

/** A real HTTP registry on loopback serving an index, a manifest and a config blob (OCI distribution paths). */
const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const config = JSON.stringify({ config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], User: '1000:1000', Env: ['PATH=/bin'], WorkingDir: '/app' } });
const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha(config), mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length }, layers: [] });
const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: sha('other'), platform: { os: 'linux', architecture: 'arm64' } }, { digest: sha(manifest), platform: { os: 'linux', architecture: 'amd64' } }] });
let server: Server;
let registry: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.accept ?? ''}`);
    const body: Record<string, string> = {
      '/v2/samples/hello/manifests/1': index,
      [`/v2/samples/hello/manifests/${sha(index)}`]: index,
      [`/v2/samples/hello/manifests/${sha(manifest)}`]: manifest,
      '/v2/samples/single/manifests/latest': manifest,
      [`/v2/samples/hello/blobs/${sha(config)}`]: config,
      [`/v2/samples/single/blobs/${sha(config)}`]: config,
      // A registry that serves other bytes than the digest asked for.
      [`/v2/samples/single/manifests/${sha('x')}`]: manifest,
      [`/v2/samples/tampered/manifests/${sha(manifest)}`]: manifest.replace('"layers":[]', '"layers": []'),
    };
    const b = body[decodeURIComponent(req.url ?? '')]; // clients may percent-encode the ':' of a digest
    res.writeHead(b === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(b ?? '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('RegistryImageResolver (loopback HTTP registry)', () => {
  it('narrows an index to linux/amd64 and returns entrypoint, user, env and the index digest', async () => {
    const r = new RegistryImageResolver({ trustedRegistries: [registry] });
    const img = await r.resolve(parseImageRef(`${registry}/samples/hello:1`));
    expect(img).toEqual({
      imageId: sha(config),
      digest: sha(index),
      repoDigests: [`${registry}/samples/hello@${sha(index)}`],
      repoTags: [`${registry}/samples/hello:1`],
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo hi'],
      user: '1000:1000',
      env: ['PATH=/bin'],
      workingDir: '/app',
    });
    expect(seen[0]).toContain('application/vnd.oci.image.index.v1+json');
    expect(await r.resolve(parseImageRef(`${registry}/samples/hello@${sha(index)}`))).toMatchObject({ digest: sha(index) });
    expect(await r.resolve(parseImageRef(`${registry}/samples/single`))).toMatchObject({ digest: sha(manifest), cmd: ['echo hi'] });
  });

  it('refuses untrusted registries, unknown images and digests that do not match what was served', async () => {
    const r = new RegistryImageResolver({ trustedRegistries: [registry] });
    await expect(new RegistryImageResolver({ trustedRegistries: [] }).resolve(parseImageRef(`${registry}/samples/hello:1`))).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(r.resolve(parseImageRef('docker.io/library/nginx:1'))).rejects.toThrow('not one');
    await expect(r.resolve(parseImageRef(`${registry}/samples/missing:1`))).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(r.resolve(parseImageRef(`${registry}/samples/single@${sha('x')}`))).rejects.toBeInstanceOf(ImageVerificationError);
    await expect(r.resolve(parseImageRef(`${registry}/samples/tampered@${sha(manifest)}`))).rejects.toBeInstanceOf(ImageVerificationError);
  });
});
