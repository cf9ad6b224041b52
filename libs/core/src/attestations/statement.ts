/**
 * The in-toto Statement v1 Quarantine signs for an analysis that counts for admission: subject =
 * the image (repository name + sha256 manifest digest), predicate = the verdict and the evidence
 * behind it (docs/attestations.md; JSON Schema: deploy/attestations/verdict-predicate.schema.json).
 * Pure: the caller gathers the facts, this only shapes (and bounds) them.
 */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const VERDICT_PREDICATE_TYPE = 'https://quarantine.dev/attestation/verdict/v1';
/** At most this many findings are listed (highest points first); `findingsTotal` says how many there were. */
export const MAX_PREDICATE_FINDINGS = 100;

export type AttestedVerdict = 'clean' | 'suspicious' | 'malicious' | 'inconclusive';

export interface VerdictPredicate {
  verdict: AttestedVerdict;
  score: number;
  findings: { rule: string; priority: string; attack: string[]; tags: string[]; count: number }[];
  findingsTotal: number;
  profile: string;
  probe: { name: string; health: ProbeHealth };
  rules: { version: string };
  analysis: { id: string; reportUrl: string; image: string; startedAt: string | null; finishedAt: string; rescoredAt: string | null };
  /** When this statement was made (the verdict's time: the run's finish, or its rescore). */
  issuedAt: string;
  /** issuedAt + ADMISSION_MAX_AGE: after this the verdict is stale and the attestation must not admit. */
  expiresAt: string;
}

export interface ProbeHealth {
  complete: boolean;
  lost: number;
  budgetExceeded: boolean;
  error: string | null;
}

export interface VerdictStatement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof VERDICT_PREDICATE_TYPE;
  predicate: VerdictPredicate;
}

export interface StatementInput {
  /** `registry/repository` (no tag, no digest). */
  subjectName: string;
  /** `sha256:<64 hex>` manifest digest. */
  digest: string;
  analysisId: string;
  image: string;
  verdict: AttestedVerdict;
  score: number;
  findings: readonly { rule: string; priority: string; tags: readonly string[]; count: number; points?: number }[];
  profile: string;
  probe: string;
  probeHealth: ProbeHealth;
  rulesVersion: string;
  publicUrl: string;
  startedAt: string | null;
  finishedAt: string;
  rescoredAt: string | null;
  /** The verdict's time (finishedAt, or rescoredAt for a rescore): expiry counts from here, as admission's staleness does. */
  issuedAt: string;
  maxAgeMs: number;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;
/** ATT&CK technique (T1059, T1059.004) and tactic (mitre_execution) tags. */
const ATTACK_TAG = /^(?:T\d{4}(?:\.\d{3})?|mitre_[a-z_]+)$/;

export function attackTags(tags: readonly string[]): string[] {
  return tags.filter((t) => ATTACK_TAG.test(t));
}

export function buildVerdictStatement(i: StatementInput): VerdictStatement {
  const m = DIGEST.exec(i.digest);
  if (!m) throw new Error(`digest "${i.digest}" is not sha256:<64 hex>`);
  const issued = Date.parse(i.issuedAt);
  if (!Number.isFinite(issued)) throw new Error(`issuedAt "${i.issuedAt}" is not a time`);
  const sorted = [...i.findings].sort((a, b) => (b.points ?? 0) - (a.points ?? 0) || a.rule.localeCompare(b.rule));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: i.subjectName, digest: { sha256: m[1] } }],
    predicateType: VERDICT_PREDICATE_TYPE,
    predicate: {
      verdict: i.verdict,
      score: i.score,
      findings: sorted.slice(0, MAX_PREDICATE_FINDINGS).map((f) => ({
        rule: f.rule.slice(0, 256),
        priority: f.priority,
        attack: attackTags(f.tags).slice(0, 16),
        tags: f.tags.slice(0, 16).map((t) => t.slice(0, 64)),
        count: f.count,
      })),
      findingsTotal: i.findings.length,
      profile: i.profile,
      probe: { name: i.probe, health: i.probeHealth },
      rules: { version: /^[a-f0-9]{64}$/.test(i.rulesVersion) ? `sha256:${i.rulesVersion}` : i.rulesVersion },
      analysis: {
        id: i.analysisId,
        reportUrl: `${i.publicUrl.replace(/\/+$/, '')}/v1/analyses/${encodeURIComponent(i.analysisId)}/report`,
        image: i.image,
        startedAt: i.startedAt,
        finishedAt: i.finishedAt,
        rescoredAt: i.rescoredAt,
      },
      issuedAt: new Date(issued).toISOString(),
      expiresAt: new Date(issued + i.maxAgeMs).toISOString(),
    },
  };
}

/** The statement's bytes as signed: compact JSON (a verifier never re-serialises, it checks these bytes). */
export function statementBytes(s: VerdictStatement): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}
