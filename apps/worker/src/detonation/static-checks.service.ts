import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { runStaticChecks } from '#analysis/static/checks';
import type { ImageDescription, StaticScan, StaticSettings } from '#analysis/static/types';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import { DockerImageReader } from '#sandbox/docker/image-reader';
import type { SandboxRuntime } from '#sandbox/sandbox-runtime';
import { SANDBOX_RUNTIME } from './sandbox.providers.js';

/** Image descriptions kept per image id (content-addressed, so never stale): repeated analyses of one image read it once. */
const CACHE_SIZE = 32;

/**
 * Static image checks before the sandbox starts (docs/static-checks.md): reads the image through
 * the worker's Docker engine without running it, and runs the checks with the profile's settings.
 * Never throws: a failure is recorded in the scan (`partial` / `skipped` with the reason), and the
 * analysis goes on.
 */
@Injectable()
export class StaticChecksService {
  private readonly logger = new Logger(StaticChecksService.name);
  private readonly reader: DockerImageReader | null;
  private readonly cache = new Map<string, ImageDescription>();

  constructor(@Inject(SANDBOX_RUNTIME) runtime: SandboxRuntime, @Optional() reader?: DockerImageReader) {
    this.reader = reader ?? (runtime instanceof DockerRuntime ? new DockerImageReader(runtime.docker) : null);
  }

  async scan(opts: { analysisId: string; imageId: string; settings: StaticSettings; local: boolean; now?: Date }): Promise<StaticScan> {
    const t0 = Date.now();
    const checkedOn = (opts.now ?? new Date()).toISOString().slice(0, 10);
    if (!opts.settings.enabled) return { status: 'skipped', reason: 'disabled by the profile (static.enabled: false)', results: [], ms: 0, checkedOn };
    if (!opts.local || !this.reader) return { status: 'skipped', reason: "the image is not in this worker's Docker engine (Kubernetes runtime)", results: [], ms: 0, checkedOn };
    let desc = this.cache.get(opts.imageId);
    try {
      if (!desc) {
        desc = await this.reader.describe(opts.imageId, { analysisId: opts.analysisId });
        if (desc.files && !desc.files.incomplete) this.remember(opts.imageId, desc);
      }
    } catch (e) {
      const reason = `the image could not be inspected: ${(e as Error).message}`;
      this.logger.warn({ msg: 'static checks skipped', analysisId: opts.analysisId, reason });
      return { status: 'skipped', reason, results: [], ms: Date.now() - t0, checkedOn };
    }
    const out = runStaticChecks(desc, opts.settings, checkedOn);
    const scan: StaticScan = { ...out, ms: Date.now() - t0, checkedOn };
    this.logger.log({ msg: 'static checks done', analysisId: opts.analysisId, status: scan.status, findings: scan.results.map((r) => r.check), ms: scan.ms });
    return scan;
  }

  private remember(id: string, desc: ImageDescription): void {
    this.cache.delete(id);
    this.cache.set(id, desc);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
  }
}
