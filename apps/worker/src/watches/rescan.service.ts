import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { AppConfig } from '#core/config/config';
import { activeQuota } from '#core/config/ownership-config';
import { CONFIG } from '#core/nest/tokens';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { PROBE_RUNTIME } from '#core/profiles/probes';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { QuotaRepository } from '#core/storage/quota.repository';
import { WatchRepository } from '#core/storage/watch.repository';
import { shortestGapSeconds } from '#core/watches/schedule';

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
    private readonly quota: QuotaRepository,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async rescan(watchId: string, tick: string, trigger: 'schedule' | 'manual'): Promise<{ analysisId: string | null; outcome: 'queued' | 'already-queued' | 'no-watch' | 'too-soon' | 'over-quota' }> {
    const watch = await this.watches.get(watchId);
    if (!watch) return { analysisId: null, outcome: 'no-watch' };
    const profile = this.profiles.get(watch.profile);
    if (!profile) throw new UnrecoverableError(`watch ${watchId}: profile "${watch.profile}" no longer exists`);
    if (trigger === 'schedule' && this.tooSoon(watch)) {
      this.logger.warn({ msg: 'rescan skipped: the watch fires more often than WATCH_MIN_INTERVAL_SECONDS', watchId, tick, schedule: watch.schedule, lastRunAt: watch.lastRunAt });
      return { analysisId: null, outcome: 'too-soon' };
    }
    const id = randomUUID();
    // A watch's rescans count against its owner's quota (older watches without an owner: a `watch:<id>` budget of their own).
    const owner = watch.owner ?? `watch:${watchId}`;
    const reservation = await this.quota.reserve(owner, id, activeQuota(this.config.ownership, watch.ownerRole ?? 'analyst', owner));
    if (!reservation.ok) {
      this.logger.warn({ msg: 'rescan skipped: the watch owner is over quota', watchId, tick, owner, active: reservation.active, limit: reservation.limit });
      return { analysisId: null, outcome: 'over-quota' };
    }
    const existing = await this.watches.claimTick(watchId, tick, id);
    if (existing) await this.quota.release(owner, id);
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
        owner: watch.owner ?? null,
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

  /**
   * A watch stored before WATCH_MIN_INTERVAL_SECONDS was raised may fire more often than allowed:
   * its scheduled ticks are clamped (skipped, with a log) until the minimum has passed since its
   * last run. Compliant watches are never clamped, so scheduler jitter cannot drop their runs.
   */
  private tooSoon(watch: { schedule: string; lastRunAt?: string | null }): boolean {
    const floor = this.config.ownership.watchMinIntervalSeconds;
    if (!watch.lastRunAt) return false;
    try {
      if (shortestGapSeconds(watch.schedule, floor) >= floor) return false;
    } catch {
      return false;
    }
    return Date.now() - Date.parse(watch.lastRunAt) < floor * 1000;
  }
}
