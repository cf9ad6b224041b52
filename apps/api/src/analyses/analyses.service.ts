import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Metrics } from '#core/metrics/metrics';
import type { Redis } from 'ioredis';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { parseImageRef } from '#core/image/image-ref';
import type { AppConfig } from '#core/config/config';
import { activeQuota } from '#core/config/ownership-config';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { admissionEligibility } from '#core/profiles/admission-policy';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { KUBERNETES_PROBES, PROBE_RUNTIME } from '#core/profiles/probes';
import { JobProducer } from '#core/queue/job-producer';
import { JobName, jobOptions } from '#core/queue/queue.constants';
import { AnalysisRepository, type Page } from '#core/storage/analysis.repository';
import { type AnalysisRecord, TERMINAL_STATUSES } from '#core/storage/analysis.types';
import type { Principal } from '#core/storage/api-key.repository';
import { ArtifactStore } from '#core/storage/artifact.store';
import { QuotaRepository, quotaExceeded } from '#core/storage/quota.repository';
import { Keys } from '#core/storage/redis-keys';
import { VulnerabilityReportRepository } from '#core/storage/vulnerability-report.repository';
import type { VulnerabilitySummary } from '#analysis/vulnerabilities/types';
import { QUARANTINE_VERSION } from '#core/version';
import { seccompFromAnalysis } from '#core/hardening/seccomp-source';
import type { ReportDocument } from '#analysis/reports/report-document';
import { reportToHtml } from '#analysis/reports/html';
import { reportToSarif } from '#analysis/reports/sarif';
import type { CreateAnalysisDto } from './dto/create-analysis.dto.js';
import type { ListAnalysesDto } from './dto/list-analyses.dto.js';
import type { ReportFormat } from './dto/report-query.dto.js';

@Injectable()
export class AnalysesService {
  private readonly logger = new Logger(AnalysesService.name);

  constructor(
    private readonly repo: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
    private readonly profiles: ProfileRegistry,
    private readonly producer: JobProducer,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly quota: QuotaRepository,
    @Optional() private readonly metrics?: Metrics,
    @Optional() private readonly vulnerabilities?: VulnerabilityReportRepository,
  ) {}

  /** `countsForAdmission` and its reason: as recorded when the analysis finished, else as it stands (docs/run-integrity.md). */
  private withAdmission(rec: AnalysisRecord): AnalysisRecord {
    if (rec.countsForAdmission !== undefined) return rec;
    return { ...rec, ...admissionEligibility(rec, this.profiles.get(rec.profile), this.config.admissionProfiles) };
  }

  async submit(dto: CreateAnalysisDto, by: Principal): Promise<AnalysisRecord> {
    const ref = parseImageRef(dto.image);
    const profileName = dto.profile ?? 'default';
    const profile = this.profiles.get(profileName);
    if (!profile) {
      throw new DomainException(ErrorCode.UnknownProfile, 400, `profile "${profileName}" does not exist (known: ${this.profiles.names().join(', ')})`, [
        { field: 'profile', message: 'unknown profile' },
      ]);
    }
    const probe = dto.probe ?? profile.probe;
    if (profile.runtime === 'kubernetes' && !KUBERNETES_PROBES.includes(probe)) {
      throw new DomainException(ErrorCode.ValidationFailed, 400, `profile "${profile.name}" runs on Kubernetes, where probe ${probe} cannot run (${KUBERNETES_PROBES.join(', ')})`, [
        { field: 'probe', message: `must be one of ${KUBERNETES_PROBES.join(', ')} with profile ${profile.name}` },
      ]);
    }
    if (dto.seccompFrom) await this.checkSeccompFrom(dto.seccompFrom, profile.runtime === 'kubernetes' ? 'kubernetes' : PROBE_RUNTIME[probe]);
    const rec: AnalysisRecord = {
      id: randomUUID(),
      image: ref.raw,
      digest: ref.digest ?? null,
      imageId: null,
      profile: profile.name,
      probe: dto.probe ?? profile.probe,
      runtime: profile.runtime === 'kubernetes' ? 'kubernetes' : PROBE_RUNTIME[probe],
      status: 'queued',
      phase: 'queued',
      verdict: null,
      score: null,
      findings: [],
      labels: dto.labels ?? {},
      priority: dto.priority ?? 5,
      rulesVersion: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      error: null,
      submittedBy: by.name,
      owner: by.keyId,
      ...(dto.seccompFrom ? { seccompFrom: dto.seccompFrom } : {}),
    };
    // Per-key quota of queued + running analyses, reserved atomically (docs/security.md).
    const reservation = await this.quota.reserve(by.keyId, rec.id, activeQuota(this.config.ownership, by.role, by.keyId));
    if (!reservation.ok) throw quotaExceeded(reservation);
    try {
      await this.repo.create(rec);
    } catch (e) {
      await this.quota.release(by.keyId, rec.id).catch(() => undefined);
      throw e;
    }
    try {
      await this.producer.enqueue({ name: JobName.Detonate, data: { analysisId: rec.id } }, { priority: rec.priority });
    } catch (e) {
      // Never leave a record that claims to be queued when no job exists for it.
      await this.repo.update(rec.id, { status: 'failed', verdict: 'error', error: 'could not enqueue', finishedAt: new Date().toISOString() }).catch(() => undefined);
      this.logger.error({ msg: 'enqueue failed', analysisId: rec.id, error: (e as Error).message });
      throw new DomainException(ErrorCode.Unavailable, 503, 'the analysis queue is unavailable; try again');
    }
    this.logger.log({ msg: 'analysis queued', analysisId: rec.id, image: rec.image, profile: rec.profile, by: by.name });
    this.metrics?.analysesSubmitted.inc({ profile: rec.profile });
    return rec;
  }

  /** `seccompFrom`: a clean analysis whose trace gives a profile, on a runtime that can apply it (docs/hardening.md). */
  private async checkSeccompFrom(id: string, runtime: string): Promise<void> {
    if (runtime !== 'runc') throw DomainException.validation('seccompFrom', `needs the runc runtime (probe strace or ebpf), not ${runtime}`);
    const src = await seccompFromAnalysis(this.repo, this.artifacts, id);
    if (!src.ok) throw DomainException.validation('seccompFrom', src.reason);
  }

  async get(id: string): Promise<AnalysisRecord> {
    const rec = await this.repo.get(id);
    if (!rec) throw DomainException.notFound('analysis', id);
    return this.withAdmission(rec);
  }

  /** GET /v1/analyses/:id: the record, with the counts by severity of the vulnerability reports stored for its digest (null when none). */
  async read(id: string): Promise<AnalysisRecord & { vulnerabilities: VulnerabilitySummary | null }> {
    const rec = await this.get(id);
    return { ...rec, vulnerabilities: (await this.vulnerabilities?.summary(rec.digest)) ?? null };
  }

  async list(q: ListAnalysesDto): Promise<Page<AnalysisRecord>> {
    const page = await this.repo.list({ image: q.image, digest: q.digest, verdict: q.verdict, status: q.status }, q.limit ?? 20, q.cursor);
    return { ...page, items: page.items.map((r) => this.withAdmission(r)) };
  }

  async events(id: string): Promise<Readable> {
    const rec = await this.get(id);
    const stream = await this.artifacts.readStream(id, 'events.ndjson');
    if (!stream) throw new DomainException(ErrorCode.Conflict, 409, `analysis ${id} has no events yet (status ${rec.status})`);
    return stream;
  }

  async report(id: string, format: ReportFormat = 'json'): Promise<unknown> {
    const rec = await this.get(id);
    const report = await this.artifacts.readJson(id, 'report.json');
    if (!report) throw new DomainException(ErrorCode.Conflict, 409, `analysis ${id} has no report yet (status ${rec.status})`);
    // The scanners' counts for the digest, as they stand now (uploads come and go independently of the run).
    Object.assign(report as ReportDocument, { vulnerabilities: (await this.vulnerabilities?.summary(rec.digest ?? (report as ReportDocument).digest)) ?? null });
    if (format === 'html') return reportToHtml(report as ReportDocument, { generatedAt: new Date().toISOString() });
    if (format === 'sarif') return reportToSarif(report as ReportDocument, { toolVersion: QUARANTINE_VERSION, reportUrl: `/v1/analyses/${id}/report` });
    return report;
  }

  /** Queues a re-evaluation of the stored trace with the current rules (no new detonation). */
  async rescore(id: string): Promise<{ analysisId: string; status: 'queued'; requestedAt: string }> {
    const rec = await this.get(id);
    if (rec.status !== 'completed') throw new DomainException(ErrorCode.Conflict, 409, `analysis ${id} is ${rec.status}; only completed analyses can be rescored`);
    const requestedAt = new Date().toISOString();
    await this.producer.enqueue({ name: JobName.Rescore, data: { analysisId: id, requestedAt } });
    this.logger.log({ msg: 'rescore queued', analysisId: id });
    return { analysisId: id, status: 'queued', requestedAt };
  }

  /** Cancels: a queued analysis is dropped from the queue, a running one's sandbox is killed by its worker. */
  async cancel(id: string): Promise<AnalysisRecord> {
    const rec = await this.get(id);
    if (TERMINAL_STATUSES.includes(rec.status)) {
      throw new DomainException(ErrorCode.Conflict, 409, `analysis ${id} is already ${rec.status}`);
    }
    const jobId = jobOptions(JobName.Detonate, { analysisId: id }).jobId!;
    const removed = await this.producer.removeIfWaiting(JobName.Detonate, jobId);
    const updated = await this.repo.update(id, { status: 'cancelled', finishedAt: new Date().toISOString(), error: 'cancelled by analyst' });
    if (!removed) await this.redis.publish(Keys.cancelChannel, id);
    this.logger.log({ msg: 'analysis cancelled', analysisId: id, wasQueued: removed });
    return updated ?? (await this.get(id));
  }
}
