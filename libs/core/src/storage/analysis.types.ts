/** `rejected`: the supply-chain gate refused the image (untrusted source, unsigned, bad signature); nothing ran. */
export type AnalysisStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'rejected';
/** Statuses nothing changes any more. */
export const TERMINAL_STATUSES: readonly AnalysisStatus[] = ['completed', 'failed', 'cancelled', 'rejected'];
export type Verdict = 'clean' | 'suspicious' | 'malicious' | 'inconclusive' | 'error';
export type AnalysisPhase = 'queued' | 'resolving' | 'starting' | 'observing' | 'collecting' | 'analyzing' | 'done';

export interface FindingSummary {
  rule: string;
  priority: string;
  tags: string[];
  count: number;
  points: number;
  share: number;
  output: string;
  firstSeq?: number;
  /** `static`: a static image check (docs/static-checks.md), with its check id and CIS id. */
  source?: 'static';
  check?: string;
  cis?: string;
}

export interface AnalysisRecord {
  id: string;
  image: string;
  /** Repo digest if the image has one, otherwise the image id (content hash of its config). */
  digest: string | null;
  imageId: string | null;
  profile: string;
  probe: string;
  runtime: string;
  status: AnalysisStatus;
  phase: AnalysisPhase;
  verdict: Verdict | null;
  score: number | null;
  findings: FindingSummary[];
  labels: Record<string, string>;
  priority: number;
  rulesVersion: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  error: string | null;
  submittedBy: string;
  /**
   * The API key id that owns the analysis (the submitter's; a watch's rescans belong to the watch's
   * owner; `system:admission` for the admission webhook's). Absent on analyses made before
   * ownership existed: those are admin-only to modify (docs/security.md).
   */
  owner?: string | null;
  /** Set when the stored events were re-evaluated with newer rules (POST /v1/analyses/:id/rescore). */
  rescoredAt?: string | null;
  /** Set when the analysis is a rescan of a watch (POST /v1/watches). */
  watchId?: string | null;
  /** What the supply-chain gate decided (source, pinned digest, signature), or why it rejected the image. */
  supplyChain?: {
    source: 'registry' | 'local';
    digest?: string;
    resolvedTag?: string;
    allowedBy?: string;
    signature: 'verified' | 'not-required';
  } | null;
  rejection?: { code: string; reason: string } | null;
  /** Whether this analysis counts for admission (ADMISSION_PROFILES + the profile's probe), and why. */
  countsForAdmission?: boolean;
  admissionReason?: string;
  /**
   * Run under the seccomp profile generated from this (clean) analysis, to check it before deploying
   * it (docs/hardening.md). Such a run never counts for admission.
   */
  seccompFrom?: string | null;
  /**
   * What this analysis (or its latest rescore) did to its digest's admission verdict: `applied`
   * when it became it, with the admission verdict it replaced; false when a later analysis holds it.
   */
  admissionUpdate?: { applied: boolean; previousVerdict: Verdict | null; previousAnalysisId: string | null; at: string } | null;
  /** The signed verdict attestation of this analysis (or its latest rescore): docs/attestations.md. */
  attestation?: AttestationState | null;
}

/**
 * `attached`: signed, stored, and pushed to the image's repository (`.att` tag); `signed`: signed
 * and stored (downloadable) but not pushed (ATTESTATION_ATTACH=false, or a later analysis holds the
 * digest's verdict); `not-applicable`: no attestation (e.g. a local-only image has no registry
 * digest); `failed`: signing or pushing failed (`reason`), retried by the next rescan or rescore.
 */
export interface AttestationState {
  status: 'attached' | 'signed' | 'not-applicable' | 'failed';
  reason?: string;
  keyid?: string;
  predicateType?: string;
  signedAt?: string;
  expiresAt?: string;
  registry?: { tag: string; manifestDigest: string; referrersApi: boolean } | null;
}

export interface VerdictCacheEntry {
  digest: string;
  verdict: Verdict;
  score: number;
  rulesVersion: string;
  analysisId: string;
  image: string;
  at: string;
  /** When the analysis finished: a verdict is replaced only by one of an analysis that finished later (or by its own rescore). */
  finishedAt?: string;
  profile?: string;
  probe?: string;
  /** The highest-scoring findings (rule and priority), for admission denial messages. */
  topFindings?: { rule: string; priority: string }[];
  /** Static checks that found something (ids, e.g. `root-user`), for ADMISSION_DENY_STATIC (docs/static-checks.md). */
  staticChecks?: string[];
}
