/**
 * Vulnerability reports from the scanners people already run (Trivy, Grype, Clair v4), normalized
 * to counts by severity and the most severe entries (docs/vulnerability-reports.md). Pure: no Nest,
 * no Redis. Quarantine has no vulnerability database of its own and never downloads one.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for "at or above": unknown ranks lowest (a scanner that could not rate it did not say it is severe). */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, negligible: 1, unknown: 0 };

export type ScannerFormat = 'trivy' | 'grype' | 'clair';
export const SCANNER_FORMATS: readonly ScannerFormat[] = ['trivy', 'grype', 'clair'];

export type SeverityCounts = Record<Severity, number>;

export interface VulnerabilityEntry {
  id: string;
  package: string;
  installedVersion: string;
  fixedVersion: string | null;
  severity: Severity;
  title?: string;
}

/** One scanner's report for one digest, as stored. */
export interface NormalizedVulnerabilityReport {
  scanner: ScannerFormat;
  /** The scanner's own version where the report names it (Grype `descriptor.version`). */
  scannerVersion: string | null;
  digest: string;
  /** The digests the report itself names (image id, repo/manifest digests): the URL's digest is one of them, or the report named none. */
  reportDigests: string[];
  /** Distinct (vulnerability, package, installed version) findings. */
  total: number;
  /** Of those, how many have a fixed version. */
  fixable: number;
  counts: SeverityCounts;
  highest: Severity | null;
  /** The most severe entries (fixable first within a severity), at most TOP_ENTRIES. */
  top: VulnerabilityEntry[];
  /** When the scanner says it ran (Trivy `CreatedAt`), if it says. */
  generatedAt: string | null;
  receivedAt: string;
}

/** What is shown beside a verdict: every stored scanner's counts for the digest. */
export interface VulnerabilitySummary {
  digest: string;
  highest: Severity | null;
  reports: { scanner: ScannerFormat; scannerVersion: string | null; total: number; fixable: number; counts: SeverityCounts; highest: Severity | null; receivedAt: string }[];
}

export const TOP_ENTRIES = 20;

export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
}

/** The highest severity with a non-zero count, or null when there are none. */
export function highestOf(counts: SeverityCounts): Severity | null {
  for (const s of SEVERITIES) if (counts[s] > 0) return s;
  return null;
}

export function summarize(digest: string, reports: readonly NormalizedVulnerabilityReport[]): VulnerabilitySummary | null {
  if (reports.length === 0) return null;
  const sorted = [...reports].sort((a, b) => SCANNER_FORMATS.indexOf(a.scanner) - SCANNER_FORMATS.indexOf(b.scanner));
  let highest: Severity | null = null;
  for (const r of sorted) if (r.highest && (highest === null || SEVERITY_RANK[r.highest] > SEVERITY_RANK[highest])) highest = r.highest;
  return {
    digest,
    highest,
    reports: sorted.map((r) => ({ scanner: r.scanner, scannerVersion: r.scannerVersion, total: r.total, fixable: r.fixable, counts: r.counts, highest: r.highest, receivedAt: r.receivedAt })),
  };
}

/** Whether any stored report has a vulnerability at or above `threshold` (unknown never counts). */
export function atOrAbove(summary: VulnerabilitySummary | null, threshold: Exclude<Severity, 'unknown' | 'negligible'>): { severity: Severity; count: number; scanner: ScannerFormat } | null {
  if (!summary) return null;
  for (const r of summary.reports) {
    for (const s of SEVERITIES) {
      if (s === 'unknown' || SEVERITY_RANK[s] < SEVERITY_RANK[threshold]) continue;
      if (r.counts[s] > 0) return { severity: s, count: r.counts[s], scanner: r.scanner };
    }
  }
  return null;
}

/** A report that cannot be accepted: names the field (a dotted path into the report) and why. */
export class VulnerabilityReportError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'VulnerabilityReportError';
  }
}
