import type { AnalysisRecord } from '../storage/analysis.types.js';
import type { SandboxProfile } from './profile.js';

export interface AdmissionEligibility {
  /** The analysis may make (and replace) the verdict admission uses for its digest. */
  countsForAdmission: boolean;
  /** Why it does or does not, for the API and the report. */
  admissionReason: string;
}

/**
 * Whether an analysis counts for admission (docs/run-integrity.md): it completed, under one of
 * ADMISSION_PROFILES, with the probe that profile prescribes (a submission may override the
 * probe, e.g. with one that sees less). Analyses that do not count are recorded and reported, but
 * never replace the verdict admission uses, and never send `verdict.changed`.
 */
export function admissionEligibility(
  rec: Pick<AnalysisRecord, 'profile' | 'probe' | 'status' | 'verdict'> & Partial<Pick<AnalysisRecord, 'seccompFrom'>>,
  profile: SandboxProfile | undefined,
  admissionProfiles: readonly string[],
): AdmissionEligibility {
  const list = admissionProfiles.join(', ');
  if (rec.seccompFrom) {
    return { countsForAdmission: false, admissionReason: `ran under the seccomp profile generated from analysis ${rec.seccompFrom}, a check of that profile: what it blocked was not seen` };
  }
  if (!admissionProfiles.includes(rec.profile)) {
    return { countsForAdmission: false, admissionReason: `profile "${rec.profile}" is not an admission profile (ADMISSION_PROFILES: ${list})` };
  }
  if (!profile) return { countsForAdmission: false, admissionReason: `profile "${rec.profile}" is not loaded by this process` };
  if (rec.probe !== profile.probe) {
    return { countsForAdmission: false, admissionReason: `probe "${rec.probe}" overrides the probe profile "${profile.name}" prescribes ("${profile.probe}")` };
  }
  if (rec.status !== 'completed' || !rec.verdict || rec.verdict === 'error') {
    return { countsForAdmission: false, admissionReason: `the analysis has no complete verdict (status ${rec.status})` };
  }
  return { countsForAdmission: true, admissionReason: `profile "${profile.name}" with its probe "${profile.probe}" is an admission profile (ADMISSION_PROFILES: ${list})` };
}
