import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { Log, Result } from 'sarif';
import { type ReportDocument, attackTechniques, attackUrl } from './report-document.js';

/** Falco-style priorities → SARIF levels and GitHub's `security-severity` (0–10). */
const LEVEL: Record<string, Result.level> = { emergency: 'error', alert: 'error', critical: 'error', error: 'error', warning: 'warning', notice: 'note', informational: 'note', info: 'note', debug: 'note' };
const SEVERITY: Record<string, string> = { emergency: '10.0', alert: '9.5', critical: '9.0', error: '7.5', warning: '5.0', notice: '3.0', informational: '1.0', info: '1.0', debug: '0.5' };

/** A rule name as a stable SARIF rule id (`Stratum Mining Login` → `quarantine/stratum-mining-login`). */
export function sarifRuleId(rule: string): string {
  return `quarantine/${rule.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'rule'}`;
}

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export interface SarifOptions {
  toolVersion: string;
  /** Where the full report can be read (each result links to it). */
  reportUrl?: string;
}

/**
 * One SARIF 2.1.0 log (built with node-sarif-builder) for one analysis: a run of the tool
 * "Quarantine", one rule per rule that fired, one result per finding. The location is the image
 * (behaviour has no source line): `artifactLocation.uri` is the image reference, so GitHub code
 * scanning and other SARIF viewers group the results by image. `partialFingerprints` bind a finding
 * to the image digest and rule, so re-uploads of the same verdict deduplicate.
 */
export function reportToSarif(report: ReportDocument, opts: SarifOptions): Log {
  const builder = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'Quarantine', toolDriverVersion: opts.toolVersion });
  const image = report.image ?? 'unknown-image';
  const seen = new Set<string>();
  for (const f of report.findings ?? []) {
    const id = sarifRuleId(f.rule);
    const priority = (f.priority ?? 'notice').toLowerCase();
    const techniques = attackTechniques(f.tags);
    if (!seen.has(id)) {
      seen.add(id);
      const rule = new SarifRuleBuilder().initSimple({ ruleId: id, shortDescriptionText: f.rule, fullDescriptionText: f.rule, ...(techniques[0] ? { helpUri: attackUrl(techniques[0]) } : {}) });
      rule.rule.name = f.rule.replace(/[^A-Za-z0-9]+/g, '');
      rule.rule.defaultConfiguration = { level: LEVEL[priority] ?? 'warning' };
      rule.rule.properties = { tags: ['security', ...(f.tags ?? [])], precision: 'high', 'security-severity': SEVERITY[priority] ?? '5.0', priority };
      run.addRule(rule);
    }
    const result = new SarifResultBuilder().initSimple({
      level: LEVEL[priority] ?? 'warning',
      messageText: `${f.output ?? f.rule}${(f.count ?? 1) > 1 ? ` (×${f.count})` : ''}`,
      ruleId: id,
      fileUri: image,
      startLine: 1,
    });
    result.result.partialFingerprints = { 'quarantine/v1': `${report.digest ?? image}:${id}` };
    // The process that did it, as a logical location (behaviour has no source line), and its evidence.
    const first = f.evidence?.[0];
    if (first?.proc?.name || first?.proc?.exe) {
      const loc = result.result.locations?.[0];
      if (loc) loc.logicalLocations = [{ name: first.proc.name ?? first.proc.exe, fullyQualifiedName: `pid ${first.pid ?? '?'}: ${(first.proc.args ?? [first.proc.exe ?? '']).join(' ').slice(0, 512)}`, kind: 'process' }];
    }
    result.result.properties = {
      count: f.count ?? 1,
      priority,
      techniques,
      evidence: (f.evidence ?? []).slice(0, 5).map((e) => ({ seq: e.seq, type: e.type, pid: e.pid, process: e.proc?.name, target: e.fd?.name ?? (typeof e.args?.name === 'string' ? e.args.name : undefined) })),
      ...(report.analysisId ? { analysisId: report.analysisId } : {}),
      ...(opts.reportUrl ? { report: opts.reportUrl } : {}),
    };
    run.addResult(result);
  }
  // Static image checks: one result per check that found something, under rules `quarantine/static/<check>`.
  for (const r of report.static?.results ?? []) {
    const id = `quarantine/static/${r.check.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    const priority = (r.priority ?? 'notice').toLowerCase();
    if (!seen.has(id)) {
      seen.add(id);
      const rule = new SarifRuleBuilder().initSimple({ ruleId: id, shortDescriptionText: r.title ?? r.check, fullDescriptionText: `${r.title ?? r.check}${r.cis ? ` (${r.cis.startsWith('Q.') ? 'Quarantine' : 'CIS Docker Benchmark'} ${r.cis})` : ''}` });
      rule.rule.name = (r.title ?? r.check).replace(/[^A-Za-z0-9]+/g, '');
      rule.rule.defaultConfiguration = { level: LEVEL[priority] ?? 'warning' };
      rule.rule.properties = { tags: ['security', 'static', ...(r.cis ? [`cis:${r.cis}`] : [])], precision: 'medium', 'security-severity': SEVERITY[priority] ?? '5.0', priority };
      run.addRule(rule);
    }
    const result = new SarifResultBuilder().initSimple({ level: LEVEL[priority] ?? 'warning', messageText: r.detail ?? r.title ?? r.check, ruleId: id, fileUri: image, startLine: 1 });
    result.result.partialFingerprints = { 'quarantine/v1': `${report.digest ?? image}:${id}` };
    result.result.properties = { count: r.count ?? 1, priority, cis: r.cis ?? null, items: (r.items ?? []).slice(0, 20), source: 'static', ...(report.analysisId ? { analysisId: report.analysisId } : {}), ...(opts.reportUrl ? { report: opts.reportUrl } : {}) };
    run.addResult(result);
  }
  run.run.invocations = [
    {
      executionSuccessful: report.verdict !== 'error',
      ...(report.startedAt ? { startTimeUtc: report.startedAt } : {}),
      ...(report.finishedAt ? { endTimeUtc: report.finishedAt } : {}),
      properties: { verdict: report.verdict ?? null, score: report.score ?? null, profile: report.profile ?? null, probe: report.probe?.name ?? null, probeComplete: report.probe?.complete ?? null },
    },
  ];
  run.run.properties = { image, digest: report.digest ?? null, verdict: report.verdict ?? null, score: report.score ?? null, rulesVersion: report.rulesVersion ?? report.rules?.version ?? null,
    // Counts only: the scanners' own SARIF carries their vulnerabilities as results; repeating them here would report each twice.
    ...(report.vulnerabilities ? { vulnerabilities: { highest: report.vulnerabilities.highest, reports: report.vulnerabilities.reports.map((r) => ({ scanner: r.scanner, counts: r.counts, total: r.total })) } } : {}) };
  builder.addRun(run);
  // The OASIS schema location (what GitHub code scanning and the SARIF validator expect).
  return { ...builder.buildSarifOutput(), $schema: SARIF_SCHEMA };
}
