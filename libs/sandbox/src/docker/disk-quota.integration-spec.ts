import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { parseImageRef } from '#core/image/image-ref';
import { SANDBOX_LABELS, type SandboxSpec } from '../sandbox-runtime.js';
import { DockerRuntime } from './docker-runtime.js';

// Real Docker engine on its btrfs data root (scripts/host-deps.sh): the profile's disk limit is a
// kernel limit under runc and under gVisor, the image's VOLUMEs do not escape it, and the sandbox's
// subvolume is gone afterwards. Issue 13: a sample once wrote ~40 GB in its 30 s window.
const docker = new Docker();
const runtime = new DockerRuntime({ docker, holdTarPath: join(process.cwd(), 'dist/assets/hold.tar') });
const MiB = 1024 ** 2;
const limits = { memoryBytes: 256 * MiB, pids: 128, cpus: 1, windowSeconds: 10, outputBytes: 4096, traceBytes: 8 * MiB, diskBytes: 32 * MiB };
const VOLUME_IMAGE = 'quarantine-test/disk-volume:latest';
let dataRoot = '';

beforeAll(async () => {
  dataRoot = ((await docker.info()) as { DockerRootDir: string }).DockerRootDir;
  // An image declaring a VOLUME (as the official postgres, mysql, redis images do), writing 100 MB into it.
  execFileSync('docker', ['build', '-q', '-t', VOLUME_IMAGE, '-'], {
    input: 'FROM quarantine-samples/disk-fill:latest\nVOLUME /data\nENTRYPOINT ["/bin/sh", "-c", "head -c 100000000 /dev/zero > /data/fill; echo volume-write-rc=$?; ls -l /data/fill; grep \\" /data \\" /proc/mounts"]\n',
    stdio: ['pipe', 'ignore', 'inherit'],
  });
});

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABELS.managed}=true`] } });
  expect(left.filter((c) => c.Labels[SANDBOX_LABELS.analysisId]?.startsWith('it-disk-'))).toEqual([]);
});

/** The btrfs subvolume behind a container's writable layer (Docker's layer store names it). */
function subvolumeOf(containerId: string): string {
  const mountId = readFileSync(join(dataRoot, 'image/btrfs/layerdb/mounts', containerId, 'mount-id'), 'utf8').trim();
  return join(dataRoot, 'btrfs/subvolumes', mountId);
}

async function run(image: string, id: string, rt: 'runc' | 'runsc') {
  const resolved = await runtime.resolveImage(parseImageRef(image));
  const spec: SandboxSpec = { analysisId: id, image: resolved, runtime: rt, hold: false, capabilities: 'default', limits };
  const sandbox = await runtime.create(spec);
  const info = await docker.getContainer(sandbox.id).inspect();
  const subvolume = subvolumeOf(sandbox.id);
  try {
    expect(existsSync(subvolume)).toBe(true);
    await sandbox.start();
    const exit = await sandbox.wait(new AbortController().signal);
    const hits = await sandbox.limitHits();
    const output = await sandbox.output(limits.outputBytes);
    const sized = await docker.getContainer(sandbox.id).inspect({ size: true } as object) as unknown as { SizeRw?: number };
    return { exit, hits, output, info, sizeRw: sized.SizeRw ?? -1, subvolume };
  } finally {
    await sandbox.destroy();
    // Nothing left behind: the container and its subvolume are gone.
    expect(existsSync(subvolume)).toBe(false);
  }
}

describe('limits.disk on the Docker runtime (btrfs qgroups)', () => {
  it.each(['runc', 'runsc'] as const)('stops a disk-filling sample at the limit under %s and reports the hit', async (rt) => {
    const r = await run('quarantine-samples/disk-fill:latest', `it-disk-${rt}`, rt);
    expect(r.info.HostConfig.StorageOpt?.size).toMatch(/^\d+$/);
    expect(r.output.stdout).toMatch(/stopped by Disk quota exceeded/);
    const wrote = Number(/wrote (\d+) MiB/.exec(r.output.stdout)?.[1]);
    expect(wrote).toBeGreaterThanOrEqual(20);
    // The host-side writable layer stays within the limit plus the driver's headroom (4 MiB + 10 % of this 2.7 MB image).
    expect(r.sizeRw).toBeGreaterThan(20 * MiB);
    expect(r.sizeRw).toBeLessThanOrEqual(limits.diskBytes + 5 * MiB);
    expect(r.hits.diskLimitHits).toBe(1);
    expect(r.hits.diskUsedBytes).toBeGreaterThan(20 * MiB);
    expect(r.hits.diskUsedBytes).toBeLessThanOrEqual(r.hits.diskLimitBytes!);
    expect(r.hits.diskLimitBytes).toBeLessThanOrEqual(limits.diskBytes + 5 * MiB);
  });

  it('gives an image VOLUME a size-limited tmpfs, not an anonymous volume outside the quota', async () => {
    const before = new Set(((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name));
    const r = await run(VOLUME_IMAGE, 'it-disk-volume', 'runc');
    expect(r.info.Mounts.filter((m) => m.Type === 'volume')).toEqual([]);
    expect(r.info.HostConfig.Tmpfs).toEqual({ '/data': `rw,exec,size=${limits.diskBytes}` });
    expect(r.output.stdout).toContain('volume-write-rc=1');
    expect(r.output.stdout).toMatch(new RegExp(`tmpfs /data tmpfs rw,.*size=${limits.diskBytes / 1024}k`));
    const size = Number(/\s(\d+) \w{3} +\d+ [\d:]+ \/data\/fill/.exec(r.output.stdout)?.[1]);
    expect(size).toBeLessThanOrEqual(limits.diskBytes);
    const after = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((n) => !before.has(n));
    expect(after).toEqual([]);
  });
});
