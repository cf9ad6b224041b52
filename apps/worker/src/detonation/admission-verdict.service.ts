import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { CONFIG } from '#core/nest/tokens';
import { type AdmissionEligibility, admissionEligibility } from '#core/profiles/admission-policy';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord, FindingSummary, Verdict } from '#core/storage/analysis.types';
import { AttestationService } from './attestation.service.js';

/** The three highest-scoring findings, for the verdict cache (admission denial messages). */
export function topFindings(findings: { rule: string; priority: string; points: number }[]): { rule: string; priority: string }[] {
  return [...findings].sort((a, b) => b.points - a.points).slice(0, 3).map((f) => ({ rule: f.rule, priority: f.priority }));
}

/**
 * The verdict admission uses (docs/run-integrity.md): only analyses that count for admission
 * (ADMISSION_PROFILES, with the probe the profile prescribes) write it, and among them the latest
 * to finish wins (atomic compare in AnalysisRepository.setVerdict). Each analysis records whether
 * it counts, why, and what it did to the admission verdict (for `verdict.changed`).
 */
@Injectable()
export class AdmissionVerdictService {
  private readonly logger = new Logger(AdmissionVerdictService.name);

  constructor(
    private readonly repo: AnalysisRepository,
    private readonly profiles: ProfileRegistry,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly attestations: AttestationService,
  ) {}

  /** Whether a completed analysis of `rec`'s profile and probe counts for admission. */
  eligibility(rec: Pick<AnalysisRecord, 'profile' | 'probe'> & Partial<Pick<AnalysisRecord, 'seccompFrom'>>): AdmissionEligibility {
    return admissionEligibility({ ...rec, status: 'completed', verdict: 'clean' }, this.profiles.get(rec.profile), this.config.admissionProfiles);
  }

  /**
   * After a run or a rescore stored its verdict: writes the admission verdict when the analysis
   * counts, and records on the analysis whether it counts and what it changed.
   */
  async record(
    rec: Pick<AnalysisRecord, 'id' | 'profile' | 'probe' | 'image'>,
    result: { digest: string; verdict: Exclude<Verdict, 'error'>; score: number; rulesVersion: string; findings: FindingSummary[] },
    finishedAt: string,
    at: string,
  ): Promise<AnalysisRecord['admissionUpdate']> {
    const e = this.eligibility(rec);
    let update: AnalysisRecord['admissionUpdate'] = null;
    if (e.countsForAdmission) {
      const { applied, previous } = await this.repo.setVerdict({
        digest: result.digest,
        verdict: result.verdict,
        score: result.score,
        rulesVersion: result.rulesVersion,
        analysisId: rec.id,
        image: rec.image,
        at,
        finishedAt,
        profile: rec.profile,
        probe: rec.probe,
        topFindings: topFindings(result.findings),
        staticChecks: result.findings.filter((f) => f.source === 'static' && f.check).map((f) => f.check!),
      });
      update = { applied, previousVerdict: previous?.verdict ?? null, previousAnalysisId: previous?.analysisId ?? null, at };
      if (!applied) this.logger.log({ msg: 'admission verdict kept: a later analysis holds it', analysisId: rec.id, digest: result.digest, heldBy: previous?.analysisId });
    }
    await this.repo.update(rec.id, { countsForAdmission: e.countsForAdmission, admissionReason: e.admissionReason, admissionUpdate: update }, { allowTerminal: true });
    // Signed verdict attestation (docs/attestations.md): never throws, outcome recorded on the analysis.
    if (e.countsForAdmission) await this.attestations.attest(rec.id, result, at, update?.applied === true);
    return update;
  }
}
