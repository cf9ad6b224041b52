import { DEFAULT_LIMITS, type ParseLimits, isObj } from './collector.js';
import { parseClair } from './clair.js';
import { parseGrype } from './grype.js';
import { parseTrivy } from './trivy.js';
import { type NormalizedVulnerabilityReport, type ScannerFormat, VulnerabilityReportError } from './types.js';

/** Which scanner wrote a report, from the fields only that scanner's format has. */
export function detectFormat(doc: unknown): ScannerFormat {
  if (!isObj(doc)) throw new VulnerabilityReportError('body', 'must be a JSON object (a Trivy, Grype or Clair v4 report)');
  if ('SchemaVersion' in doc || 'Results' in doc) return 'trivy';
  if ('matches' in doc) return 'grype';
  if ('manifest_hash' in doc || 'package_vulnerabilities' in doc) return 'clair';
  throw new VulnerabilityReportError('body', 'is not a Trivy (SchemaVersion, Results), Grype (matches) or Clair v4 (manifest_hash, package_vulnerabilities) report');
}

/**
 * Detects the format, validates and normalizes a report for `digest` in one linear pass (bounded by
 * `limits.maxEntries`). Throws VulnerabilityReportError naming the field for anything it cannot accept,
 * including a report that names another image's digest.
 */
export function parseVulnerabilityReport(doc: unknown, digest: string, limits: ParseLimits = DEFAULT_LIMITS, receivedAt = new Date().toISOString()): NormalizedVulnerabilityReport {
  const format = detectFormat(doc);
  const d = doc as Record<string, unknown>;
  switch (format) {
    case 'trivy':
      return parseTrivy(d, digest, limits, receivedAt);
    case 'grype':
      return parseGrype(d, digest, limits, receivedAt);
    case 'clair':
      return parseClair(d, digest, limits, receivedAt);
  }
}

export { DEFAULT_LIMITS, type ParseLimits };
