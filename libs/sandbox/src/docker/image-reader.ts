import type Docker from 'dockerode';
import { extract as tarExtract, type Header } from 'tar-stream';
import { INTERESTING_FILES, interestingBinary } from '#analysis/static/minimal';
import type { ImageDescription, ImageFiles, SpecialFile } from '#analysis/static/types';
import { SANDBOX_LABELS } from '../sandbox-runtime.js';

/** Bounds on one image's filesystem scan: it streams, never holds a layer in memory, and stops at any cap. */
export interface ImageScanLimits {
  /** Bytes of the filesystem stream read before stopping (default 4 GiB). */
  maxBytes: number;
  /** Entries examined before stopping (default 500 000). */
  maxEntries: number;
  /** Wall-clock budget of the scan, ms (default 120 s). */
  timeoutMs: number;
  /** Items kept per list (setuid files, world-writable directories; default 500). */
  maxListed: number;
  /** Bytes kept of each file the checks read (default 16 KiB). */
  maxFileBytes: number;
}

export const DEFAULT_SCAN_LIMITS: ImageScanLimits = { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000, timeoutMs: 120_000, maxListed: 500, maxFileBytes: 16 * 1024 };

/** Turns a tar entry name (`./usr/bin/x`, `usr/bin/x/`) into an absolute path (`/usr/bin/x`). */
export function entryPath(name: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p === '.' ? '/' : `/${p}`;
}

/**
 * Reads an image's filesystem from a tar stream of it (`docker export` of a created, never-started
 * container): setuid/setgid files, world-writable directories, binaries of interest, and the few
 * small files the checks read. Streams entry by entry; stops (and says so) at a cap or the deadline.
 */
export async function scanFilesystem(source: NodeJS.ReadableStream, limits: ImageScanLimits = DEFAULT_SCAN_LIMITS): Promise<ImageFiles> {
  const out: ImageFiles = { entries: 0, bytes: 0, setuid: [], worldWritableDirs: [], present: [], files: {}, links: {} };
  const present = new Set<string>();
  const extract = tarExtract();
  const readable = source as NodeJS.ReadableStream & { destroy?: (e?: Error) => void };
  return await new Promise<ImageFiles>((resolve, reject) => {
    let settled = false;
    const finish = (incomplete?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (incomplete) out.incomplete = incomplete;
      out.present = [...present].sort();
      readable.unpipe?.();
      readable.destroy?.();
      extract.destroy();
      resolve(out);
    };
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      readable.destroy?.();
      extract.destroy();
      reject(e);
    };
    const timer = setTimeout(() => finish(`stopped after ${limits.timeoutMs} ms (the scan's deadline)`), limits.timeoutMs);
    readable.on('data', (chunk: Buffer) => {
      out.bytes += chunk.length;
      if (out.bytes > limits.maxBytes) finish(`stopped after ${limits.maxBytes} bytes (the scan's byte cap)`);
    });
    readable.on('error', (e: Error) => fail(e));
    extract.on('error', (e: Error) => fail(e));
    extract.on('finish', () => finish());
    extract.on('entry', (header: Header, stream, next) => {
      if (settled) {
        stream.resume();
        return next();
      }
      out.entries++;
      if (out.entries > limits.maxEntries) {
        stream.resume();
        finish(`stopped after ${limits.maxEntries} entries (the scan's entry cap)`);
        return next();
      }
      const path = entryPath(header.name);
      const mode = header.mode ?? 0;
      const kind = header.type;
      if ((kind === 'file' || kind === 'link' || kind === 'contiguous-file') && (mode & 0o6000) !== 0 && out.setuid.length < limits.maxListed) {
        out.setuid.push({ path, mode: mode & 0o7777, uid: header.uid ?? 0 });
      }
      if (kind === 'directory' && (mode & 0o002) !== 0 && out.worldWritableDirs.length < limits.maxListed) {
        out.worldWritableDirs.push({ path, mode: mode & 0o7777, uid: header.uid ?? 0 });
      }
      if ((kind === 'file' || kind === 'link' || kind === 'symlink' || kind === 'contiguous-file') && interestingBinary(path)) present.add(path);
      if (INTERESTING_FILES.has(path)) {
        if (kind === 'symlink') out.links[path] = header.linkname ?? '';
        else if (kind === 'file' || kind === 'contiguous-file') {
          const parts: Buffer[] = [];
          let kept = 0;
          stream.on('data', (data: unknown) => {
            const b = data as Buffer;
            if (kept < limits.maxFileBytes) {
              const take = b.subarray(0, limits.maxFileBytes - kept);
              parts.push(take);
              kept += take.length;
            }
          });
          stream.on('end', () => {
            out.files[path] = Buffer.concat(parts).toString('utf8');
            next();
          });
          return;
        }
      }
      stream.on('end', () => next());
      stream.resume();
    });
    readable.pipe(extract as unknown as NodeJS.WritableStream);
  });
}

function toStringList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return undefined;
}

/**
 * Describes an image for the static checks through the Docker engine, without running anything:
 * `image inspect` (User, Env, Labels, Healthcheck, size, layers), `image history` (created_by),
 * and the filesystem from `docker export` of a container that is created and never started
 * (labelled managed with a deadline, so the periodic reaper removes it if the worker dies
 * mid-scan; removed here in `finally`). A filesystem that cannot be read leaves `files` undefined with `filesError`.
 */
export class DockerImageReader {
  constructor(
    private readonly docker: Docker,
    private readonly limits: ImageScanLimits = DEFAULT_SCAN_LIMITS,
  ) {}

  async describe(imageId: string, opts: { analysisId?: string; files?: boolean } = {}): Promise<ImageDescription> {
    const image = this.docker.getImage(imageId);
    const info = await image.inspect();
    const cfg = (info.Config ?? {}) as unknown as Record<string, unknown>;
    const history = ((await image.history().catch(() => [])) as { CreatedBy?: string; Size?: number; Comment?: string }[]).map((h) => ({
      createdBy: typeof h.CreatedBy === 'string' ? h.CreatedBy : '',
      emptyLayer: (h.Size ?? 0) === 0,
    }));
    const hc = cfg.Healthcheck as { Test?: unknown } | undefined;
    const desc: ImageDescription = {
      imageId: info.Id,
      user: typeof cfg.User === 'string' ? cfg.User : '',
      env: toStringList(cfg.Env) ?? [],
      labels: (cfg.Labels && typeof cfg.Labels === 'object' ? cfg.Labels : {}) as Record<string, string>,
      healthcheck: hc ? toStringList(hc.Test) : undefined,
      history,
      sizeBytes: info.Size ?? 0,
      layers: (info.RootFS as { Layers?: unknown[] } | undefined)?.Layers?.length ?? 0,
    };
    if (opts.files === false) return desc;
    try {
      desc.files = await this.readFiles(info.Id, opts.analysisId);
    } catch (e) {
      desc.filesError = `the image's filesystem could not be read: ${(e as Error).message}`;
    }
    return desc;
  }

  private async readFiles(imageId: string, analysisId?: string): Promise<ImageFiles> {
    const now = Date.now();
    const container = await this.docker.createContainer({
      Image: imageId,
      // Never started: the entrypoint only has to be a string for `create` to accept images without one.
      Entrypoint: ['/.quarantine-static-scan-never-started'],
      Cmd: [],
      NetworkDisabled: true,
      Labels: {
        // Not labelled with the analysis id: the detonation's own reap (by analysis id) runs while
        // this scan may still be reading; the periodic reaper removes it after its deadline.
        [SANDBOX_LABELS.managed]: 'true',
        ...(analysisId ? { 'org.quarantine.static-scan-for': analysisId } : {}),
        [SANDBOX_LABELS.createdAt]: new Date(now).toISOString(),
        [SANDBOX_LABELS.deadline]: new Date(now + this.limits.timeoutMs + 60_000).toISOString(),
        'org.quarantine.role': 'static-scan',
      },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    try {
      const stream = await container.export();
      return await scanFilesystem(stream, this.limits);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}
