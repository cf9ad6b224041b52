import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { PROBE_RUNTIME } from '#core/profiles/probes';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { WatchRepository } from '#core/storage/watch.repository';

/**
 * One rescan of a watch: a new analysis of the watch's image through the ordinary detonation
 * path (the worker resolves the tag anew, so a moved tag is a new digest). A scheduler tick
 * creates at most one analysis, however many workers or attempts see it.
 */
@Injectable()
export class RescanService {
  private readonly logger = new Logger(RescanService.name);

  constructor(
    private readonly watches: WatchRepository,
    private readonly analyses: AnalysisRepository,
    private readonly profiles: ProfileRegistry,
    private readonly producer: JobProducer,
  ) {}

  async rescan(watchId: string, tick: string, trigger: 'schedule' | 'manual'): Promise<{ analysisId: string | null; outcome: 'queued' | 'already-queued' | 'no-watch' }> {
    const watch = await this.watches.get(watchId);
    if (!watch) return { analysisId: null, outcome: 'no-watch' };
    const profile = this.profiles.get(watch.profile);
    if (!profile) throw new UnrecoverableError(`watch ${watchId}: profile "${watch.profile}" no longer exists`);
    const id = randomUUID();
    const existing = await this.watches.claimTick(watchId, tick, id);
    const analysisId = existing ?? id;
    if (!existing || !(await this.analyses.get(analysisId))) {
      const now = new Date().toISOString();
      const rec: AnalysisRecord = {
        id: analysisId,
        image: watch.image,
        digest: null,
        imageId: null,
        profile: profile.name,
        probe: profile.probe,
        runtime: PROBE_RUNTIME[profile.probe],
        status: 'queued',
        phase: 'queued',
        verdict: null,
        score: null,
        findings: [],
        labels: {},
        priority: 5,
        rulesVersion: null,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
        attempts: 0,
        error: null,
        submittedBy: `watch:${watchId}`,
        watchId,
      };
      await this.analyses.create(rec);
      await this.watches.recordRun(watchId, { analysisId, trigger, at: now });
    }
    // Idempotent: the detonation job id is derived from the analysis id.
    await this.producer.enqueue({ name: JobName.Detonate, data: { analysisId } }, { priority: 5 });
    this.logger.log({ msg: 'rescan queued', watchId, analysisId, tick, trigger, image: watch.image });
    return { analysisId, outcome: existing ? 'already-queued' : 'queued' };
  }
}
