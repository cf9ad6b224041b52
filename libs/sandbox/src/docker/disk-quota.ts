import { readFile, readdir, readlink } from 'node:fs/promises';
import { ContainmentUnavailableError, ImageVerificationError } from '../sandbox-runtime.js';

/**
 * The per-sandbox disk limit (profile `limits.disk`, docs/sandbox.md#disk-limit) on the Docker
 * engine: `HostConfig.StorageOpt.size`, which the kernel enforces through the storage driver (btrfs
 * qgroups on this kind of host, XFS project quotas for overlay2 on xfs+pquota, zfs quotas). Where the
 * driver cannot, the analysis fails closed instead of running with unlimited disk.
 */

/** Used when a spec carries no disk limit (callers outside the worker): never unlimited. */
export const DEFAULT_DISK_BYTES = 1024 ** 3;

/**
 * btrfs (and zfs) limit what the container's subvolume *references*: the image's own files count,
 * so the limit is the image's size plus what the profile grants. On btrfs a fresh container
 * references 2–8 % more than the image's reported size (4 KiB blocks, metadata; measured here on the
 * Debian sample images), so 10 % + 4 MiB of headroom: the writable allowance is `limits.disk` plus a
 * few percent of the image.
 */
export function storageOptSize(imageBytes: number | undefined, diskBytes: number, headroom: 'tight' | 'ample' = 'tight'): number {
  const image = Number.isFinite(imageBytes) && (imageBytes ?? 0) > 0 ? (imageBytes as number) : 0;
  // `ample` (+50 % + 64 MiB): the retry when the engine finds the image alone above the tight estimate.
  return headroom === 'ample' ? image + Math.ceil(image / 2) + 64 * 1024 ** 2 + diskBytes : image + Math.ceil(image / 10) + 4 * 1024 ** 2 + diskBytes;
}

/** btrfs refused the limit because the new subvolume already references more (moby: "Failed to limit qgroup for …: disk quota exceeded"). */
export function isQuotaBelowImage(e: unknown): boolean {
  const msg = String((e as { json?: { message?: string } })?.json?.message ?? (e as Error)?.message ?? e);
  return /failed to limit qgroup.*(disk quota exceeded|quota)/i.test(msg);
}

/** `docker info`'s storage fields, as dockerode returns them. */
export interface EngineStorageInfo {
  Driver?: string;
  DriverStatus?: [string, string][] | null;
}

export interface QuotaSupport {
  /** `yes`: the driver enforces `size`; `try`: it may (overlay2 on xfs: only with pquota); `no`: it cannot. */
  enforce: 'yes' | 'try' | 'no';
  driver: string;
  backingFs?: string;
}

/** Whether the engine's storage driver can enforce `StorageOpt.size` (decided once per runtime from `docker info`). */
export function quotaSupport(info: EngineStorageInfo): QuotaSupport {
  const driver = (info.Driver ?? '').toLowerCase();
  const backingFs = (info.DriverStatus ?? []).find(([k]) => /^backing filesystem$/i.test(k))?.[1]?.toLowerCase();
  const base = { driver: driver || 'unknown', ...(backingFs ? { backingFs } : {}) };
  if (driver === 'btrfs' || driver === 'zfs' || driver === 'devicemapper' || driver === 'windowsfilter') return { enforce: 'yes', ...base };
  // overlay2 enforces size only on xfs mounted with pquota, which `docker info` does not say: try, and map a refusal.
  if ((driver === 'overlay2' || driver === 'overlay') && backingFs === 'xfs') return { enforce: 'try', ...base };
  return { enforce: 'no', ...base };
}

/**
 * The engine refused `StorageOpt.size` because its driver cannot enforce it (moby's messages:
 * "--storage-opt is supported only for overlay over xfs with 'pquota' mount option", "Storage Option
 * not supported", "quota support not available", "Failed to enable quota"…).
 */
export function isQuotaRefusal(e: unknown): boolean {
  const msg = String((e as { json?: { message?: string } })?.json?.message ?? (e as Error)?.message ?? e);
  return /storage[- ]opt(ion)?s? (\S+ )?(is |are )?(supported only|only supported|not supported)|quota support not available|failed to enable quota/i.test(msg);
}

export function diskLimitUnavailable(s: Pick<QuotaSupport, 'driver' | 'backingFs'>, detail?: string): ContainmentUnavailableError {
  const where = s.backingFs ? `${s.driver} on ${s.backingFs}` : s.driver;
  return new ContainmentUnavailableError(
    `the Docker engine's storage driver (${where}) cannot enforce the profile's disk limit (limits.disk), so nothing was run; ` +
      `run scripts/host-deps.sh on the host (it puts Docker's data root on btrfs with quotas)` + (detail ? `: ${detail}` : ''),
  );
}

/** A qgroup's counters (bytes): what the sandbox's subvolume references now, and its limit. */
export interface QgroupReading {
  referenced: number;
  limit: number;
}

/**
 * Whether a run reached its disk limit: less than max(4 MiB, 5 % of the allowance) left at its peak.
 * A writer stopped by the kernel ends within a write's size of the limit (measured here: 16 KiB short
 * with 1 MiB writes); an ordinary service stays far below it.
 */
export function diskLimitReached(base: number, peak: number, limit: number): boolean {
  if (!(limit > 0) || !(peak > 0)) return false;
  const allowance = Math.max(0, limit - base);
  return limit - peak < Math.max(4 * 1024 ** 2, allowance * 0.05);
}

/**
 * Reads a btrfs sandbox's qgroup from sysfs (`/sys/fs/btrfs/<fsid>/qgroups/0_<subvolid>`): found
 * from the mountinfo of the container's init (runc) or of its gofer (runsc, whose sandbox process
 * has no view of the rootfs). Cheap (two small reads), so it is sampled with the cgroup counters;
 * btrfs updates the counters at each transaction commit, and a writer that meets the limit forces
 * one, so the peak is seen. Absent (no reading) on other drivers or when the host's /proc and /sys
 * are not visible (a worker in a container).
 */
export class QgroupWatch {
  private peakReferenced = 0;
  private peakExclusive = 0;
  /** What the subvolume shares with the image (referenced − exclusive): the image's own files. */
  private shared = 0;
  private limit = 0;

  private constructor(private readonly dir: string) {}

  static async forPid(pid: number, sysfs = '/sys/fs/btrfs', proc = '/proc'): Promise<QgroupWatch | undefined> {
    for (const candidate of [pid, ...(await goferSiblings(pid, proc))]) {
      const mountinfo = await readFile(`${proc}/${candidate}/mountinfo`, 'utf8').catch(() => '');
      const root = rootBtrfsMount(mountinfo);
      if (!root) continue;
      const fsid = await btrfsFsidOf(root.device, sysfs);
      if (!fsid) return undefined;
      const w = new QgroupWatch(`${sysfs}/${fsid}/qgroups/0_${root.subvolid}`);
      return (await w.sample()) ? w : undefined;
    }
    return undefined;
  }

  /**
   * One reading. `exclusive` is what only this subvolume holds: what the sandbox wrote (an unheld
   * sample may have written before the first reading, so no baseline is needed).
   */
  async sample(): Promise<QgroupReading | undefined> {
    const [ref, excl, max] = await Promise.all(
      ['referenced', 'exclusive', 'max_referenced'].map((f) => readFile(`${this.dir}/${f}`, 'utf8').catch(() => '')),
    );
    const referenced = Number.parseInt(ref, 10);
    const exclusive = Number.parseInt(excl, 10);
    const limit = Number.parseInt(max, 10);
    if (!Number.isFinite(referenced)) return undefined;
    this.peakReferenced = Math.max(this.peakReferenced, referenced);
    if (Number.isFinite(exclusive)) {
      this.peakExclusive = Math.max(this.peakExclusive, exclusive);
      this.shared = Math.max(0, referenced - exclusive);
    }
    if (Number.isFinite(limit) && limit > 0) this.limit = limit;
    return { referenced, limit };
  }

  /** Bytes the sandbox wrote at its peak, its allowance (the limit less the image's share), and whether it reached the limit. */
  get usage(): { usedBytes: number; allowanceBytes: number; reached: boolean } {
    return {
      usedBytes: this.peakExclusive,
      allowanceBytes: Math.max(0, this.limit - this.shared),
      reached: diskLimitReached(this.shared, this.peakReferenced, this.limit),
    };
  }
}

/** The root mount of a mountinfo when it is a btrfs subvolume: its device and subvolume id. */
export function rootBtrfsMount(mountinfo: string): { device: string; subvolid: number } | undefined {
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const mountPoint = pre.split(' ')[4];
    const [fstype, source, superOpts = ''] = post.split(' ');
    if (mountPoint !== '/' || fstype !== 'btrfs') continue;
    const id = /(?:^|,)subvolid=(\d+)(?:,|$)/.exec(superOpts)?.[1];
    if (id) return { device: source, subvolid: Number(id) };
  }
  return undefined;
}

/** runsc's gofer (it holds the rootfs mount) is a sibling of the sandbox process. */
async function goferSiblings(pid: number, proc: string): Promise<number[]> {
  const stat = await readFile(`${proc}/${pid}/stat`, 'utf8').catch(() => '');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!(ppid > 1)) return [];
  const children = await readFile(`${proc}/${ppid}/task/${ppid}/children`, 'utf8').catch(() => '');
  const out: number[] = [];
  for (const c of children.trim().split(/\s+/).map(Number)) {
    if (!(c > 0) || c === pid) continue;
    const cmdline = await readFile(`${proc}/${c}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('runsc-gofer')) out.push(c);
  }
  return out;
}

/** `/dev/loop0` → the fsid under /sys/fs/btrfs whose devices/ holds `loop0`. */
async function btrfsFsidOf(device: string, sysfs: string): Promise<string | undefined> {
  const dev = device.split('/').pop() ?? '';
  let real = dev;
  // A device-mapper or by-uuid path: the kernel's name is where its symlink points.
  await readlink(device).then((t) => (real = t.split('/').pop() ?? dev), () => undefined);
  for (const fsid of await readdir(sysfs).catch(() => [] as string[])) {
    if (fsid === 'features') continue;
    const devices = await readdir(`${sysfs}/${fsid}/devices`).catch(() => [] as string[]);
    if (devices.includes(dev) || devices.includes(real)) return fsid;
  }
  return undefined;
}

const MAX_VOLUMES = 64;

/**
 * The image's `VOLUME`s as size-limited tmpfs mounts (`HostConfig.Tmpfs`), so Docker creates no
 * anonymous volume: those live outside the sandbox's subvolume and its quota. Each is at most the
 * disk limit, and tmpfs pages count against the sandbox's memory limit, so together they stay
 * within it. Unlike a volume, the tmpfs starts empty (the official images' volume paths are empty
 * directories). A path that cannot be mounted safely refuses the image.
 */
export function volumeTmpfs(volumes: string[] | undefined, diskBytes: number): Record<string, string> | undefined {
  const list = volumes ?? [];
  if (list.length === 0) return undefined;
  if (list.length > MAX_VOLUMES) throw new VolumeRefused(`declares ${list.length} VOLUMEs (at most ${MAX_VOLUMES})`);
  const out: Record<string, string> = {};
  for (const v of list) {
    const path = v.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
    if (!path.startsWith('/') || path.length > 4096 || /[,:\0\n]/.test(path) || path.split('/').some((seg) => seg === '..' || seg === '.') || /^\/(proc|sys|dev)(\/|$)/.test(path)) {
      throw new VolumeRefused(`declares VOLUME ${JSON.stringify(v.slice(0, 200))}, which the sandbox cannot mount a size-limited tmpfs on`);
    }
    // exec: the sample uses it as it would the volume (Docker's tmpfs default is noexec).
    out[path] = `rw,exec,size=${diskBytes}`;
  }
  return out;
}

/** An image the sandbox cannot contain: the analysis fails (no retry), naming the VOLUME. */
export class VolumeRefused extends ImageVerificationError {
  constructor(message: string) {
    super(`image ${message}`);
    this.name = 'VolumeRefused';
  }
}
