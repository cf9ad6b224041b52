import { type ReportDocument, type ReportEvidence, attackTechniques, attackUrl } from '#analysis/reports/report-document';
import type { AnalysisRecord } from '#core/storage/analysis.types';

/**
 * Harbor's Scanner Adapter API v1.2 (goharbor/pluggable-scanner-spec) as Quarantine speaks it:
 * media types, the metadata document, and the mapping of an analysis to Harbor's vulnerability
 * report (docs/harbor.md). Pure functions: the controller feeds them records and reports.
 */
export const HARBOR_MIME = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  reportV10: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  reportV11: 'application/vnd.security.vulnerability.report; version=1.1',
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
} as const;

export const HARBOR_CONSUMES = [HARBOR_MIME.ociManifest, HARBOR_MIME.dockerManifest] as const;
export const HARBOR_PRODUCES = [HARBOR_MIME.reportV10, HARBOR_MIME.reportV11] as const;

export type HarborSeverity = 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';
const RANK: Record<HarborSeverity, number> = { Unknown: 0, Negligible: 1, Low: 2, Medium: 3, High: 4, Critical: 5 };

/**
 * Falco priorities → Harbor severities, deliberately: the three "act now" priorities are Critical;
 * ERROR (a rule that signals an attack step, e.g. a write below /etc) is High; WARNING Medium;
 * NOTICE Low; INFORMATIONAL and DEBUG Negligible (behaviour worth knowing, not a problem); anything
 * else Unknown. The verdict adds its own entry (below), so a `malicious` image always carries a
 * Critical entry even when each finding alone is rated lower.
 */
export const PRIORITY_SEVERITY: Record<string, HarborSeverity> = {
  emergency: 'Critical',
  alert: 'Critical',
  critical: 'Critical',
  error: 'High',
  warning: 'Medium',
  notice: 'Low',
  informational: 'Negligible',
  info: 'Negligible',
  debug: 'Negligible',
};

export function severityOfPriority(priority: string | undefined): HarborSeverity {
  return PRIORITY_SEVERITY[(priority ?? '').toLowerCase()] ?? 'Unknown';
}

export interface HarborArtifact {
  repository: string;
  digest: string;
  tag?: string;
  mime_type?: string;
}

export interface HarborScanner {
  name: string;
  vendor: string;
  version: string;
}

export interface HarborVulnerabilityItem {
  id: string;
  package: string;
  version: string;
  severity: HarborSeverity;
  description: string;
  links: string[];
}

export interface HarborVulnerabilityReport {
  generated_at: string;
  artifact: HarborArtifact;
  scanner: HarborScanner;
  severity: HarborSeverity;
  vulnerabilities: HarborVulnerabilityItem[];
}

export function harborMetadata(scanner: HarborScanner, properties: Record<string, string>) {
  return {
    scanner,
    capabilities: [{ type: 'vulnerability', consumes_mime_types: [...HARBOR_CONSUMES], produces_mime_types: [...HARBOR_PRODUCES] }],
    properties,
  };
}

const MAX_ENTRIES = 200;
const MAX_DESCRIPTION = 2000;

function evidenceText(ev: ReportEvidence): string {
  const target = ev.fd?.name ?? (typeof ev.args?.name === 'string' ? ev.args.name : typeof ev.args?.path === 'string' ? ev.args.path : '');
  const proc = ev.proc?.exe ?? ev.proc?.name ?? '?';
  const args = ev.proc?.args?.length ? ` (${ev.proc.args.join(' ').slice(0, 200)})` : '';
  return `${ev.type ?? 'event'}${target ? ` ${target}` : ''} by ${proc}${ev.pid !== undefined ? ` pid ${ev.pid}` : ''}${args}`;
}

/**
 * One completed analysis as Harbor's vulnerability report: one entry per finding (id = the rule name,
 * package = the process that acted, else the repository; version = the tag, else the digest;
 * severity from the rule's priority; description = the rule's output, ATT&CK techniques and the first
 * evidence; links = the full report and the techniques' pages), plus one entry for the verdict when it
 * is not clean (malicious → Critical, suspicious → High, inconclusive/error → Unknown). A clean verdict
 * adds nothing and caps its findings at Negligible, so Harbor's "prevent vulnerable images from
 * running" blocks what Quarantine convicts and nothing it cleared.
 */
export function harborReport(input: {
  record: AnalysisRecord;
  report: ReportDocument | null;
  artifact: HarborArtifact;
  scanner: HarborScanner;
  reportUrl: string;
}): HarborVulnerabilityReport {
  const { record: rec, report, artifact, reportUrl } = input;
  const version = artifact.tag || artifact.digest;
  const verdict = rec.verdict ?? 'inconclusive';
  const findings = report?.findings?.length ? report.findings : rec.findings.map((f) => ({ rule: f.rule, priority: f.priority, tags: f.tags, count: f.count, output: f.output, evidence: [] as ReportEvidence[] }));
  const items: HarborVulnerabilityItem[] = [];

  if (verdict !== 'clean') {
    const severity: HarborSeverity = verdict === 'malicious' ? 'Critical' : verdict === 'suspicious' ? 'High' : 'Unknown';
    const top = findings.slice(0, 5).map((f) => `${f.rule} (${f.priority ?? 'unknown'})`).join('; ');
    const reasons = (report?.scoring?.reasons ?? []).slice(0, 3).join('; ');
    items.push({
      id: `quarantine-verdict-${verdict}`,
      package: artifact.repository,
      version,
      severity,
      description: clip(`Quarantine detonated this image in a sandbox and judged its behaviour ${verdict} (score ${rec.score ?? 0}/100, profile ${rec.profile}).${top ? ` Findings: ${top}.` : ''}${reasons ? ` ${reasons}.` : ''}${rec.error ? ` ${rec.error}.` : ''} Full report: ${reportUrl}`),
      links: [reportUrl],
    });
  }

  for (const f of findings.slice(0, MAX_ENTRIES)) {
    let severity = severityOfPriority(f.priority);
    if (verdict === 'clean' && RANK[severity] > RANK.Negligible) severity = 'Negligible';
    const techniques = attackTechniques(f.tags);
    const first = f.evidence?.[0];
    const evidence = (f.evidence ?? []).slice(0, 3).map(evidenceText);
    items.push({
      id: f.rule.slice(0, 200),
      package: (first?.proc?.exe ?? first?.proc?.name ?? artifact.repository).slice(0, 256),
      version,
      severity,
      description: clip(
        `${f.output ?? f.rule} [priority ${f.priority ?? 'unknown'}, seen ${f.count ?? 1}×]` +
          (techniques.length ? ` ATT&CK: ${techniques.join(', ')}.` : '') +
          (evidence.length ? ` Evidence: ${evidence.join('; ')}.` : ''),
      ),
      links: [reportUrl, ...techniques.slice(0, 5).map(attackUrl)],
    });
  }
  const severity = items.reduce<HarborSeverity>((max, i) => (RANK[i.severity] > RANK[max] ? i.severity : max), 'Unknown');
  return {
    generated_at: rec.rescoredAt ?? rec.finishedAt ?? new Date().toISOString(),
    artifact,
    scanner: input.scanner,
    severity,
    vulnerabilities: items,
  };
}

function clip(s: string): string {
  return s.length > MAX_DESCRIPTION ? `${s.slice(0, MAX_DESCRIPTION - 1)}…` : s;
}
