import { type NormalizedVulnerabilityReport, type ScannerFormat, SEVERITY_RANK, type Severity, TOP_ENTRIES, type VulnerabilityEntry, VulnerabilityReportError, emptyCounts, highestOf } from './types.js';

/** Longest id, package, version or title kept from a report (longer text is cut, not refused). */
export const MAX_TEXT = 200;
const SHA256 = /^sha256:[0-9a-f]{64}$/;

export interface ParseLimits {
  /** Most findings a report may carry (distinct or not): beyond it the report is refused, naming the list. */
  maxEntries: number;
}
export const DEFAULT_LIMITS: ParseLimits = { maxEntries: 20_000 };

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new VulnerabilityReportError(field, 'must be an object');
  return v;
}

export function optObj(v: unknown, field: string): Obj | undefined {
  return v === undefined || v === null ? undefined : obj(v, field);
}

export function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new VulnerabilityReportError(field, 'must be an array');
  return v;
}

export function optArr(v: unknown, field: string): unknown[] {
  return v === undefined || v === null ? [] : arr(v, field);
}

export function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new VulnerabilityReportError(field, 'must be a non-empty string');
  return v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v;
}

export function optStr(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new VulnerabilityReportError(field, 'must be a string');
  return v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v;
}

/** A scanner's severity word (any case) as ours; anything unrecognised is `unknown`. */
export function severityOf(v: unknown, field: string): Severity {
  if (v === undefined || v === null || v === '') return 'unknown';
  if (typeof v !== 'string') throw new VulnerabilityReportError(field, 'must be a string');
  const s = v.trim().toLowerCase();
  return s in SEVERITY_RANK ? (s as Severity) : 'unknown';
}

/** The `sha256:…` digest at the end of a repo digest (`repo@sha256:…`) or standing alone; null otherwise. */
export function digestIn(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new VulnerabilityReportError(field, 'must be a string');
  const at = v.lastIndexOf('@');
  const d = (at >= 0 ? v.slice(at + 1) : v).toLowerCase();
  if (!SHA256.test(d)) throw new VulnerabilityReportError(field, `"${v.slice(0, 100)}" is not a sha256 digest`);
  return d;
}

/**
 * Accumulates findings in one pass: counts each distinct (id, package, installed version) once,
 * keeps the TOP_ENTRIES most severe, and refuses a report with more than `maxEntries` findings.
 */
export class Collector {
  private readonly seen = new Set<string>();
  private readonly counts = emptyCounts();
  private readonly top: VulnerabilityEntry[] = [];
  private fixable = 0;
  private raw = 0;
  private readonly digests = new Map<string, string>();

  constructor(private readonly limits: ParseLimits) {}

  /** Called once per finding before it is read, so an oversized list is refused before any work on it. */
  tick(listField: string): void {
    if (++this.raw > this.limits.maxEntries) throw new VulnerabilityReportError(listField, `more than ${this.limits.maxEntries} findings in the report`);
  }

  add(e: VulnerabilityEntry): void {
    const key = `${e.id}\u0000${e.package}\u0000${e.installedVersion}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.counts[e.severity]++;
    if (e.fixedVersion) this.fixable++;
    // Insertion into a bounded sorted list: O(TOP_ENTRIES) per finding.
    if (this.top.length < TOP_ENTRIES || compare(e, this.top[this.top.length - 1]) < 0) {
      let i = this.top.length;
      while (i > 0 && compare(e, this.top[i - 1]) < 0) i--;
      this.top.splice(i, 0, e);
      if (this.top.length > TOP_ENTRIES) this.top.pop();
    }
  }

  /** A digest the report names about itself, with the field that named it. */
  names(digest: string | null, field: string): void {
    if (digest && !this.digests.has(digest)) this.digests.set(digest, field);
  }

  finish(scanner: ScannerFormat, digest: string, meta: { scannerVersion?: string | null; generatedAt?: string | null; receivedAt: string }): NormalizedVulnerabilityReport {
    if (this.digests.size > 0 && !this.digests.has(digest)) {
      const [first] = [...this.digests.entries()];
      const fields = [...new Set(this.digests.values())].join(', ');
      throw new VulnerabilityReportError(first[1], `the report is for ${[...this.digests.keys()].slice(0, 3).join(', ')} (${fields}), not ${digest}`);
    }
    return {
      scanner,
      scannerVersion: meta.scannerVersion ?? null,
      digest,
      reportDigests: [...this.digests.keys()].slice(0, 10),
      total: this.seen.size,
      fixable: this.fixable,
      counts: { ...this.counts },
      highest: highestOf(this.counts),
      top: [...this.top],
      generatedAt: meta.generatedAt ?? null,
      receivedAt: meta.receivedAt,
    };
  }
}

function compare(a: VulnerabilityEntry, b: VulnerabilityEntry): number {
  const s = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
  if (s !== 0) return s;
  const f = (b.fixedVersion ? 1 : 0) - (a.fixedVersion ? 1 : 0);
  if (f !== 0) return f;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : a.package < b.package ? -1 : a.package > b.package ? 1 : 0;
}

/** An ISO timestamp from the report, or null when it has none or it is not a date. */
export function timestampOf(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 64) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
