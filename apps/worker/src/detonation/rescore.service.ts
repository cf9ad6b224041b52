import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { AdmissionVerdictService } from './admission-verdict.service.js';
import { RunAnalyzer } from './run-analyzer.js';
import { PROBES, type ProbeRegistry } from './sandbox.providers.js';

/**
 * Re-evaluates a finished analysis's stored trace with the current rules of its profile, without
 * running the sample again; the report records the rules version it used and the previous score,
 * and keeps its drift section. The admission verdict follows when the analysis counts for
 * admission (and no analysis that finished later holds it); the caller then fans out
 * verdict.changed and tickets like a run.
 */
@Injectable()
export class RescoreService {
  private readonly logger = new Logger(RescoreService.name);

  constructor(
    private readonly repo: AnalysisRepository,
    private readonly profiles: ProfileRegistry,
    private readonly analyzer: RunAnalyzer,
    private readonly admission: AdmissionVerdictService,
    @Inject(PROBES) private readonly probes: ProbeRegistry,
  ) {}

  async rescore(analysisId: string): Promise<{ analysisId: string; verdict: string; previous: string; rescoredAt: string }> {
    const rec = await this.repo.get(analysisId);
    if (!rec || rec.status !== 'completed') throw new UnrecoverableError(`analysis ${analysisId} is not completed`);
    const stored = await this.analyzer.storedRun(analysisId);
    if (!stored) throw new UnrecoverableError(`analysis ${analysisId} has no stored run to rescore`);
    const profile = this.profiles.get(stored.run.profile);
    if (!profile) throw new UnrecoverableError(`profile "${stored.run.profile}" no longer exists`);
    const probe = this.probes.get(stored.run.probe.probe);
    const eligibility = this.admission.eligibility(rec);
    const result = await this.analyzer.analyze({ ...stored.run, profile, tracePath: '' }, probe ?? { unavailableFields: new Set<string>() }, {
      from: 'stored',
      previous: { verdict: stored.verdict, score: stored.score, rulesVersion: stored.rulesVersion, finishedAt: stored.finishedAt },
      keep: { admission: eligibility, ...(stored.drift !== undefined ? { drift: stored.drift } : {}), ...(stored.seccompUnderTest !== undefined ? { seccompUnderTest: stored.seccompUnderTest } : {}) },
    });
    const rescoredAt = new Date().toISOString();
    await this.repo.update(
      analysisId,
      { verdict: result.verdict, score: result.score, findings: result.findings, rulesVersion: result.rulesVersion, rescoredAt },
      { allowTerminal: true },
    );
    const digest = rec.digest ?? stored.run.image.digest;
    // Compared on the analysis's own finishedAt: a rescore never lets an older run overtake a newer one.
    await this.admission.record(rec, { ...result, digest }, rec.finishedAt ?? stored.finishedAt ?? rescoredAt, rescoredAt);
    this.logger.log({ msg: 'rescored', analysisId, previous: stored.verdict, verdict: result.verdict, rulesVersion: result.rulesVersion, countsForAdmission: eligibility.countsForAdmission });
    return { analysisId, verdict: result.verdict, previous: stored.verdict, rescoredAt };
  }
}
