/**
 * Behaviour drift between two runs of the same watched image: findings added and removed,
 * executables run for the first time, new files written, new network destinations, score and
 * verdict change. Works on the stored report (report.json), so any two finished runs compare.
 */
import type { FileWrite, NetworkAttempt } from '../state/run-summary.js';

/** What a report must carry for a drift comparison (a subset of report.json). */
export interface DriftReportInput {
  analysisId: string;
  digest?: string | null;
  verdict: string;
  score: number;
  findings?: { rule: string; priority?: string }[];
  processTree?: DriftProcessNode[];
  filesWritten?: Pick<FileWrite, 'path' | 'ops'>[];
  /**
   * The report's network section: the probe's connection attempts (`connections`) and, under the
   * simulated network, the names queried (`dns`). Reports written before issue 11 carry the attempts
   * as a bare array.
   */
  network?: DriftNetworkInput[] | { connections?: DriftNetworkInput[]; dns?: { name: string }[] };
}

type DriftNetworkInput = Pick<NetworkAttempt, 'syscall' | 'family' | 'address' | 'port'>;

export interface DriftProcessNode {
  exepath?: string;
  exe?: string;
  execs?: { exepath: string }[];
  children?: DriftProcessNode[];
}

/** The comparable behaviour of one run. */
export interface BehaviourSnapshot {
  analysisId: string;
  digest: string | null;
  verdict: string;
  score: number;
  findings: string[];
  executables: string[];
  files: string[];
  destinations: string[];
}

export interface SetChange {
  added: string[];
  removed: string[];
}

export interface Drift {
  previousAnalysisId: string;
  analysisId: string;
  previousDigest: string | null;
  digest: string | null;
  /** The tag now points at different content. */
  digestChanged: boolean;
  findings: SetChange;
  /** Executables run now that the previous run never ran. */
  newExecutables: string[];
  /** Paths written now that the previous run never wrote. */
  newFiles: string[];
  /** Network destinations contacted now that the previous run never contacted. */
  newDestinations: string[];
  score: { previous: number; current: number; delta: number };
  verdict: { previous: string; current: string; changed: boolean };
  /** True when behaviour changed: any finding added or removed, any new executable, file or destination, or a new verdict. */
  changed: boolean;
  /** Entries left out of the lists above (each list is capped). */
  truncated: number;
}

const NETWORK_DESTINATION_SYSCALLS = new Set(['connect', 'sendto', 'sendmsg']);
export const DRIFT_LIST_CAP = 200;

function collectExecutables(nodes: DriftProcessNode[] | undefined, out: Set<string>): void {
  for (const n of nodes ?? []) {
    const main = n.exepath || n.exe;
    if (main) out.add(main);
    for (const e of n.execs ?? []) if (e.exepath) out.add(e.exepath);
    collectExecutables(n.children, out);
  }
}

/** Destination as a string: `ipv4 10.0.0.1:4444`, `ipv6 [::1]:53`, `unix /run/x.sock`. */
export function destinationKey(n: Pick<NetworkAttempt, 'family' | 'address' | 'port'>): string {
  if (n.family === 'ipv6') return `ipv6 [${n.address}]${n.port !== undefined ? `:${n.port}` : ''}`;
  return `${n.family} ${n.address}${n.port !== undefined ? `:${n.port}` : ''}`;
}

export function snapshotFromReport(r: DriftReportInput): BehaviourSnapshot {
  const executables = new Set<string>();
  collectExecutables(r.processTree, executables);
  const files = new Set<string>();
  for (const f of r.filesWritten ?? []) if (f.ops.some((op) => op !== 'delete')) files.add(f.path);
  const destinations = new Set<string>();
  const net = r.network;
  const attempts = Array.isArray(net) ? net : (net?.connections ?? []);
  for (const n of attempts) if (NETWORK_DESTINATION_SYSCALLS.has(n.syscall)) destinations.add(destinationKey(n));
  if (net !== undefined && !Array.isArray(net)) for (const d of net.dns ?? []) if (typeof d.name === 'string') destinations.add(`dns ${d.name.toLowerCase()}`);
  return {
    analysisId: r.analysisId,
    digest: r.digest ?? null,
    verdict: r.verdict,
    score: r.score,
    findings: [...new Set((r.findings ?? []).map((f) => f.rule))].sort(),
    executables: [...executables].sort(),
    files: [...files].sort(),
    destinations: [...destinations].sort(),
  };
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  const set = new Set(b);
  return a.filter((x) => !set.has(x));
}

/** Compares `current` with `previous` (the watch's previous run). Deterministic: lists are sorted. */
export function diffBehaviour(previous: BehaviourSnapshot, current: BehaviourSnapshot, cap = DRIFT_LIST_CAP): Drift {
  let truncated = 0;
  const capped = (xs: string[]) => {
    if (xs.length <= cap) return xs;
    truncated += xs.length - cap;
    return xs.slice(0, cap);
  };
  const findings = { added: capped(minus(current.findings, previous.findings)), removed: capped(minus(previous.findings, current.findings)) };
  const newExecutables = capped(minus(current.executables, previous.executables));
  const newFiles = capped(minus(current.files, previous.files));
  const newDestinations = capped(minus(current.destinations, previous.destinations));
  const verdictChanged = previous.verdict !== current.verdict;
  const changed =
    findings.added.length > 0 || findings.removed.length > 0 || newExecutables.length > 0 || newFiles.length > 0 || newDestinations.length > 0 || verdictChanged;
  return {
    previousAnalysisId: previous.analysisId,
    analysisId: current.analysisId,
    previousDigest: previous.digest,
    digest: current.digest,
    digestChanged: previous.digest !== current.digest,
    findings,
    newExecutables,
    newFiles,
    newDestinations,
    score: { previous: previous.score, current: current.score, delta: current.score - previous.score },
    verdict: { previous: previous.verdict, current: current.verdict, changed: verdictChanged },
    changed,
    truncated,
  };
}
