import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { parseImageRef } from '#core/image/image-ref';
import { CONFIG } from '#core/nest/tokens';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { JobProducer } from '#core/queue/job-producer';
import { JobName, jobOptions } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { Principal } from '#core/storage/api-key.repository';
import { type WatchRecord, WatchRepository } from '#core/storage/watch.repository';
import { nextRuns, shortestGapSeconds } from '#core/watches/schedule';
import type { CreateWatchDto } from './dto/create-watch.dto.js';

/** The job scheduler of a watch: one per watch, in Redis, so it survives restarts. */
export const schedulerId = (watchId: string) => `watch-${watchId}`;

@Injectable()
export class WatchesService {
  private readonly logger = new Logger(WatchesService.name);

  constructor(
    private readonly watches: WatchRepository,
    private readonly analyses: AnalysisRepository,
    private readonly profiles: ProfileRegistry,
    private readonly producer: JobProducer,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateWatchDto, by: Principal) {
    const ref = parseImageRef(dto.image);
    const profile = dto.profile ?? 'default';
    if (!this.profiles.get(profile)) {
      throw new DomainException(ErrorCode.UnknownProfile, 400, `profile "${profile}" does not exist (known: ${this.profiles.names().join(', ')})`, [{ field: 'profile', message: 'unknown profile' }]);
    }
    const schedule = (dto.schedule ?? this.config.webhooks.defaultSchedule).trim();
    const floor = this.config.ownership.watchMinIntervalSeconds;
    const gap = shortestGapSeconds(schedule, floor);
    if (gap < floor) {
      throw DomainException.validation('schedule', `fires ${gap} s after a previous run at its closest; watches may run at most every ${floor} s (WATCH_MIN_INTERVAL_SECONDS)`);
    }
    const rec: WatchRecord = {
      id: randomUUID(),
      image: ref.raw,
      schedule,
      timezone: dto.timezone ?? 'UTC',
      profile,
      createdAt: new Date().toISOString(),
      createdBy: by.name,
      owner: by.keyId,
      ownerRole: by.role,
      lastRunAt: null,
      lastAnalysisId: null,
    };
    await this.watches.create(rec);
    try {
      await this.producer.schedule(schedulerId(rec.id), { pattern: rec.schedule, tz: rec.timezone }, { name: JobName.RescanWatch, data: { watchId: rec.id } });
    } catch (e) {
      await this.watches.remove(rec.id).catch(() => undefined);
      this.logger.error({ msg: 'could not create the job scheduler', watchId: rec.id, error: (e as Error).message });
      throw new DomainException(ErrorCode.Unavailable, 503, 'the scheduler is unavailable; try again');
    }
    this.logger.log({ msg: 'watch created', watchId: rec.id, image: rec.image, schedule: rec.schedule, timezone: rec.timezone, by: by.name });
    return this.view(rec);
  }

  async list() {
    return { items: (await this.watches.list()).map((w) => this.view(w)) };
  }

  async get(id: string) {
    const w = await this.watches.get(id);
    if (!w) throw DomainException.notFound('watch', id);
    const runs = await this.watches.runs(id, 20);
    const withVerdicts = await Promise.all(
      runs.map(async (r) => {
        const a = await this.analyses.get(r.analysisId);
        return { ...r, status: a?.status ?? null, verdict: a?.verdict ?? null, score: a?.score ?? null, digest: a?.digest ?? null };
      }),
    );
    return { ...this.view(w), runs: withVerdicts };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.watches.get(id))) throw DomainException.notFound('watch', id);
    await this.producer.unschedule(JobName.RescanWatch, schedulerId(id));
    await this.watches.remove(id);
    this.logger.log({ msg: 'watch deleted', watchId: id });
  }

  /** Queues one rescan now; the analysis appears in the watch's runs once a worker takes it. */
  async run(id: string) {
    if (!(await this.watches.get(id))) throw DomainException.notFound('watch', id);
    const requestedAt = new Date().toISOString();
    const data = { watchId: id, requestedAt };
    await this.producer.enqueue({ name: JobName.RescanWatch, data });
    return { watchId: id, status: 'queued' as const, requestedAt, jobId: jobOptions(JobName.RescanWatch, data).jobId };
  }

  private view(w: WatchRecord) {
    let nextRunAt: string | null = null;
    try {
      nextRunAt = nextRuns(w.schedule, w.timezone, 1)[0] ?? null;
    } catch {
      nextRunAt = null;
    }
    return { ...w, nextRunAt };
  }
}
