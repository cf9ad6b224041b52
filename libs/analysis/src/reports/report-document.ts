import type { VulnerabilitySummary } from '../vulnerabilities/types.js';

/**
 * The parts of a stored analysis report (report.json, written by the worker's RunAnalyzer) that the
 * renderers read. Every field is optional here: reports of older versions, rescored reports and
 * failed runs lack some, and the renderers must never throw on a report they can read as JSON.
 */
export interface ReportEvidence {
  seq?: number;
  ts?: number;
  type?: string;
  pid?: number;
  proc?: { name?: string; exe?: string; args?: string[] };
  args?: Record<string, unknown>;
  fd?: { name?: string; type?: string };
}

export interface ReportFinding {
  rule: string;
  priority?: string;
  tags?: string[];
  count?: number;
  firstTs?: number;
  output?: string;
  evidence?: ReportEvidence[];
}

export interface ReportProcess {
  pid: number;
  name?: string;
  exepath?: string;
  args?: string[];
  startTs?: number;
  exitCode?: number;
  execs?: { ts?: number; exepath?: string; args?: string[]; fromMemfd?: boolean; exeWritten?: boolean }[];
  children?: ReportProcess[];
}

export interface ReportStaticResult {
  check: string;
  cis?: string;
  title?: string;
  rule?: string;
  priority?: string;
  count?: number;
  items?: string[];
  detail?: string;
  points?: number;
}

export interface ReportStatic {
  status?: string;
  reason?: string;
  results?: ReportStaticResult[];
  os?: { id?: string; versionId?: string; name?: string; eol?: string; eolStatus?: string };
  image?: { sizeBytes?: number; layers?: number; user?: string; entries?: number; bytes?: number };
  ms?: number;
  checkedOn?: string;
}

export interface ReportDocument {
  analysisId?: string;
  image?: string;
  digest?: string | null;
  profile?: string;
  runtime?: string;
  verdict?: string;
  score?: number;
  rulesVersion?: string;
  scoring?: { contributions?: { rule: string; priority?: string; count?: number; points?: number; share?: number }[]; reasons?: string[]; thresholds?: { suspicious?: number; malicious?: number } };
  findings?: ReportFinding[];
  processTree?: ReportProcess[];
  processesTruncated?: number;
  filesWritten?: { path: string; ops?: string[]; pid?: number; count?: number; firstTs?: number }[];
  filesWrittenTruncated?: number;
  network?: {
    mode?: string;
    incomplete?: string;
    connections?: { syscall?: string; family?: string; address?: string; port?: number; result?: string; pid?: number; count?: number; firstTs?: number }[];
    dns?: { name?: string; type?: string; count?: number }[];
    http?: { method?: string; host?: string; path?: string; userAgent?: string; served?: string }[];
    [k: string]: unknown;
  };
  exit?: { exitCode?: number | null; oomKilled?: boolean; windowExpired?: boolean; cancelled?: boolean; budgetExceeded?: boolean; runMs?: number; window?: { endedBy?: string; dormant?: boolean; detail?: string } };
  limits?: { pidsLimitHits?: number; oomKills?: number; peakPids?: number; [k: string]: unknown };
  output?: { stdout?: string; stderr?: string; stdoutTruncated?: boolean; stderrTruncated?: boolean };
  probe?: { name?: string; events?: number; lost?: number; unparsed?: number; complete?: boolean; budgetExceeded?: boolean; startError?: string | null; unavailableFields?: string[]; truncatedEvents?: number };
  rules?: { version?: string; loaded?: number; notEvaluated?: unknown[] };
  sandbox?: { runtime?: string; network?: string; capabilities?: string };
  /** Static image checks (docs/static-checks.md): their own section. */
  static?: ReportStatic | null;
  startedAt?: string;
  finishedAt?: string;
  rescoredAt?: string;
  /** Against the previous run of the same watch or tag (libs/analysis/src/drift/drift.ts). */
  drift?: {
    previousAnalysisId?: string;
    digestChanged?: boolean;
    findings?: { added?: string[]; removed?: string[] };
    newExecutables?: string[];
    newFiles?: string[];
    newDestinations?: string[];
    score?: { previous?: number; current?: number; delta?: number };
    verdict?: { previous?: string; current?: string; changed?: boolean };
    changed?: boolean;
  } | null;
  /**
   * Not stored in report.json: the vulnerability reports stored for the digest (Trivy, Grype, Clair),
   * added by the API when it serves the report (docs/vulnerability-reports.md).
   */
  vulnerabilities?: VulnerabilitySummary | null;
}

/** ATT&CK technique ids among a finding's tags (`T1496`, `T1059.004`). */
export function attackTechniques(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((t) => /^T\d{4}(?:\.\d{3})?$/.test(t));
}

/** The technique's page on attack.mitre.org (sub-techniques as `T1059/004`). */
export function attackUrl(technique: string): string {
  return `https://attack.mitre.org/techniques/${technique.replace('.', '/')}/`;
}
