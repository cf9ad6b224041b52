import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { ResolvedImage, SandboxSpec } from '../sandbox-runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { QgroupWatch, diskLimitReached, isQuotaRefusal, quotaSupport, rootBtrfsMount, storageOptSize, volumeTmpfs } from './disk-quota.js';

const MiB = 1024 ** 2;

describe('quotaSupport: can the storage driver enforce limits.disk', () => {
  it.each([
    [{ Driver: 'btrfs', DriverStatus: [['Btrfs', '']] }, 'yes'],
    [{ Driver: 'zfs' }, 'yes'],
    [{ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs'], ['Supports d_type', 'true']] }, 'try'],
    [{ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']] }, 'no'],
    [{ Driver: 'vfs' }, 'no'],
    [{ Driver: 'fuse-overlayfs' }, 'no'],
    [{}, 'no'],
  ] as const)('%j → %s', (info, enforce) => {
    expect(quotaSupport(info as never).enforce).toBe(enforce);
  });

  it('recognises the engine refusing the size option (overlay2 without pquota, drivers without quotas)', () => {
    expect(isQuotaRefusal(new Error("(HTTP code 500) server error - --storage-opt is supported only for overlay over xfs with 'pquota' mount option"))).toBe(true);
    expect(isQuotaRefusal({ json: { message: '--storage-opt is not supported for aufs' } })).toBe(true);
    expect(isQuotaRefusal(new Error('Storage Option overlay2.size only supported for backingFS XFS. Found extfs'))).toBe(true);
    expect(isQuotaRefusal(new Error('quota support not available'))).toBe(true);
    expect(isQuotaRefusal(new Error('No such image: x'))).toBe(false);
    expect(isQuotaRefusal(new Error('Failed to limit qgroup for &{}: disk quota exceeded'))).toBe(false); // the image is larger than estimated: retried
    expect(isQuotaRefusal(new Error('Conflict. The container name "/quarantine-a" is already in use'))).toBe(false);
  });
});

describe('storageOptSize and the limit-hit decision', () => {
  it('adds the image (btrfs counts what the subvolume references) and a few percent of headroom', () => {
    expect(storageOptSize(undefined, 32 * MiB)).toBe(36 * MiB);
    expect(storageOptSize(100 * MiB, 1024 * MiB)).toBe(110 * MiB + 4 * MiB + 1024 * MiB);
    expect(storageOptSize(Number.NaN, 32 * MiB)).toBe(36 * MiB);
  });

  it('a writer stopped by the kernel is a hit; an ordinary service far below it is not', () => {
    // Measured here: disk-fill (1 MiB writes) ends 16 KiB short of a 32 MiB qgroup limit.
    expect(diskLimitReached(2719744, 33538048, 33554432)).toBe(true);
    expect(diskLimitReached(450 * MiB, 1474 * MiB, 1478 * MiB)).toBe(true);
    expect(diskLimitReached(450 * MiB, 480 * MiB, 1478 * MiB)).toBe(false);
    expect(diskLimitReached(2 * MiB, 20 * MiB, 36 * MiB)).toBe(false);
    expect(diskLimitReached(0, 0, 0)).toBe(false);
  });
});

describe('volumeTmpfs: image VOLUMEs never become host volumes', () => {
  it('mounts each as a size-limited, exec tmpfs', () => {
    expect(volumeTmpfs(undefined, 32 * MiB)).toBeUndefined();
    expect(volumeTmpfs([], 32 * MiB)).toBeUndefined();
    expect(volumeTmpfs(['/var/lib/postgresql/data', '/data/'], 32 * MiB)).toEqual({
      '/var/lib/postgresql/data': `rw,exec,size=${32 * MiB}`,
      '/data': `rw,exec,size=${32 * MiB}`,
    });
  });

  it.each(['relative', '/', '/a,size=0', '/a:/b', '/proc', '/sys/fs', '/dev', '/a/../etc'])('refuses the image for VOLUME %j', (v) => {
    expect(() => volumeTmpfs([v], MiB)).toThrow(/image declares VOLUME/);
  });

  it('refuses an over-long VOLUME path', () => {
    expect(() => volumeTmpfs([`/${'x'.repeat(5000)}`], MiB)).toThrow(/image declares VOLUME/);
  });

  it('refuses an image with too many VOLUMEs', () => {
    expect(() => volumeTmpfs(Array.from({ length: 65 }, (_, i) => `/v${i}`), MiB)).toThrow(/65 VOLUMEs/);
  });
});

describe('QgroupWatch: the sandbox subvolume\'s qgroup in sysfs', () => {
  it('finds the root subvolume in mountinfo (runc init, or runsc\'s gofer)', () => {
    const mi = [
      '101 75 0:91 / / ro,relatime - tmpfs runsc-root rw,uid=65534',
      '103 101 0:40 /btrfs/subvolumes/3f28 / rw,noatime master:2 - btrfs /dev/loop0 rw,discard=async,space_cache=v2,subvolid=354,subvol=/btrfs/subvolumes/3f28',
      '104 103 0:40 /containers/9b/resolv.conf /etc/resolv.conf rw,noatime - btrfs /dev/loop0 rw,subvolid=5,subvol=/',
    ].join('\n');
    expect(rootBtrfsMount(mi)).toEqual({ device: '/dev/loop0', subvolid: 354 });
    expect(rootBtrfsMount('22 1 0:21 / / rw - overlay overlay rw,lowerdir=/a')).toBeUndefined();
  });

  it('reads referenced, exclusive and max_referenced, keeps the peak, and decides the hit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'q-qg-'));
    const proc = join(root, 'proc');
    const sysfs = join(root, 'sys');
    mkdirSync(join(proc, '42'), { recursive: true });
    writeFileSync(join(proc, '42', 'mountinfo'), '300 200 0:40 /btrfs/subvolumes/ab / rw - btrfs /dev/loop7 rw,subvolid=348,subvol=/btrfs/subvolumes/ab\n');
    writeFileSync(join(proc, '42', 'stat'), '42 (docker-init) S 1 42 42 0');
    mkdirSync(join(sysfs, 'fsid-1', 'devices', 'loop7'), { recursive: true });
    const q = join(sysfs, 'fsid-1', 'qgroups', '0_348');
    mkdirSync(q, { recursive: true });
    const set = (referenced: number, exclusive: number) => {
      writeFileSync(join(q, 'referenced'), `${referenced}\n`);
      writeFileSync(join(q, 'exclusive'), `${exclusive}\n`);
    };
    // Measured here: a fresh disk-fill container, then the same after disk-fill met its 36.2 MiB limit.
    set(2719744, 16384);
    writeFileSync(join(q, 'max_referenced'), '37965437\n');
    const w = (await QgroupWatch.forPid(42, sysfs, proc))!;
    expect(w).toBeDefined();
    expect(w.usage.reached).toBe(false);
    set(37945344, 35241984);
    await w.sample();
    set(2719744, 16384); // the sample deleted its file: the peak stays
    await w.sample();
    expect(w.usage).toEqual({ usedBytes: 35241984, allowanceBytes: 37965437 - 2703360, reached: true });
    expect(await QgroupWatch.forPid(43, sysfs, proc)).toBeUndefined();
  });

  it('an unheld sample that wrote before the first reading is still measured from exclusive bytes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'q-qg-'));
    const proc = join(root, 'proc');
    const sysfs = join(root, 'sys');
    mkdirSync(join(proc, '7'), { recursive: true });
    writeFileSync(join(proc, '7', 'mountinfo'), '300 200 0:40 /btrfs/subvolumes/cd / rw - btrfs /dev/loop7 rw,subvolid=9,subvol=/btrfs/subvolumes/cd\n');
    const q = join(sysfs, 'fsid-1', 'qgroups', '0_9');
    mkdirSync(join(sysfs, 'fsid-1', 'devices', 'loop7'), { recursive: true });
    mkdirSync(q, { recursive: true });
    writeFileSync(join(q, 'referenced'), '37945344\n');
    writeFileSync(join(q, 'exclusive'), '35241984\n');
    writeFileSync(join(q, 'max_referenced'), '37965437\n');
    const w = (await QgroupWatch.forPid(7, sysfs, proc))!;
    expect(w.usage).toMatchObject({ usedBytes: 35241984, reached: true });
  });
});

describe('DockerRuntime.create: the disk limit in the engine request, or fail closed', () => {
  const image: ResolvedImage = {
    imageId: 'sha256:' + 'a'.repeat(64), digest: 'sha256:' + 'a'.repeat(64), repoDigests: [], repoTags: ['x:latest'],
    entrypoint: ['/x'], cmd: [], user: '', env: [], workingDir: '', sizeBytes: 100 * MiB, volumes: ['/data'],
  };
  const spec: SandboxSpec = {
    analysisId: 'u1', image, runtime: 'runc', hold: false, capabilities: 'default',
    limits: { memoryBytes: 256 * MiB, pids: 128, cpus: 1, windowSeconds: 10, outputBytes: 1024, traceBytes: MiB, diskBytes: 64 * MiB },
  };

  function fakeEngine(driver: Record<string, unknown>, refuse?: string) {
    const created: Record<string, unknown>[] = [];
    let infoCalls = 0;
    const docker = {
      info: async () => { infoCalls++; return driver; },
      createContainer: async (opts: Record<string, unknown>) => {
        created.push(opts);
        if (refuse) throw Object.assign(new Error(`(HTTP code 500) server error - ${refuse}`), { statusCode: 500 });
        return { id: 'c1', putArchive: async () => undefined, remove: async () => undefined };
      },
    } as unknown as Docker;
    return { docker, created, infoCalls: () => infoCalls };
  }

  it('passes StorageOpt.size (image + limits.disk) and the VOLUME tmpfs', async () => {
    const e = fakeEngine({ Driver: 'btrfs' });
    const rt = new DockerRuntime({ docker: e.docker, holdTarPath: '/nonexistent' });
    await rt.create(spec);
    await rt.create({ ...spec, analysisId: 'u2', limits: { ...spec.limits, diskBytes: undefined } });
    const host = (i: number) => e.created[i].HostConfig as { StorageOpt: { size: string }; Tmpfs: Record<string, string> };
    expect(host(0).StorageOpt).toEqual({ size: String(110 * MiB + 4 * MiB + 64 * MiB) });
    expect(host(0).Tmpfs).toEqual({ '/data': `rw,exec,size=${64 * MiB}` });
    // No disk limit in the spec: 1 GiB, never unlimited.
    expect(host(1).StorageOpt).toEqual({ size: String(110 * MiB + 4 * MiB + 1024 ** 3) });
    expect(e.infoCalls()).toBe(1); // decided once
  });

  it('retries once with ample headroom when the image alone references more than estimated', async () => {
    const created: Record<string, unknown>[] = [];
    const docker = {
      info: async () => ({ Driver: 'btrfs' }),
      createContainer: async (opts: Record<string, unknown>) => {
        created.push(structuredClone(opts));
        if (created.length === 1) throw Object.assign(new Error('(HTTP code 500) server error - Failed to limit qgroup for &{}: disk quota exceeded'), { statusCode: 500 });
        return { id: 'c1', putArchive: async () => undefined, remove: async () => undefined };
      },
    } as unknown as Docker;
    await new DockerRuntime({ docker, holdTarPath: '/nonexistent' }).create(spec);
    const size = (i: number) => (created[i].HostConfig as { StorageOpt: { size: string } }).StorageOpt.size;
    expect(created).toHaveLength(2);
    expect(size(0)).toBe(String(110 * MiB + 4 * MiB + 64 * MiB));
    expect(size(1)).toBe(String(150 * MiB + 64 * MiB + 64 * MiB));
  });

  it('fails closed before creating anything when the driver has no quota support', async () => {
    const e = fakeEngine({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] });
    const rt = new DockerRuntime({ docker: e.docker, holdTarPath: '/nonexistent' });
    await expect(rt.create(spec)).rejects.toMatchObject({
      name: 'ContainmentUnavailableError',
      message: expect.stringMatching(/storage driver \(overlay2 on extfs\) cannot enforce the profile's disk limit \(limits\.disk\).*run scripts\/host-deps\.sh/),
    });
    expect(e.created).toEqual([]);
  });

  it('fails closed when the engine refuses the size option (overlay2 on xfs without pquota)', async () => {
    const e = fakeEngine({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs']] }, "--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
    const rt = new DockerRuntime({ docker: e.docker, holdTarPath: '/nonexistent' });
    await expect(rt.create(spec)).rejects.toMatchObject({ name: 'ContainmentUnavailableError', message: expect.stringMatching(/scripts\/host-deps\.sh.*pquota/) });
    expect(e.created).toHaveLength(1);
  });
});
