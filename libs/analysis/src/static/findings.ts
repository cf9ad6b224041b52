/**
 * Static results as findings (scored with the static weights, scoring.ts) and as `source: static`
 * events the rules can match (`evt.type = static`, fields `static.check`, `static.cis`,
 * `static.priority`, `static.count`, `static.detail`; rules/static-fields.ts).
 */
import type { Finding } from '../scoring/scoring.js';
import type { StaticCheckResult } from './types.js';

export const STATIC_TAG = 'static';

/** The finding's rule name: the check's title and its CIS (or Quarantine) id. */
export function staticRuleName(r: Pick<StaticCheckResult, 'title' | 'cis'>): string {
  return `${r.title} (${r.cis.startsWith('Q.') ? 'Quarantine' : 'CIS'} ${r.cis})`;
}

/** One Finding per result: tags `static`, `cis:<id>`, `static:<check>`; seq 0 (before any event). */
export function staticFindings(results: readonly StaticCheckResult[], tsNs: number): Finding[] {
  return results.map((r) => ({
    rule: staticRuleName(r),
    priority: r.priority,
    tags: [STATIC_TAG, `cis:${r.cis}`, `static:${r.check}`],
    count: r.count,
    firstSeq: 0,
    firstTs: tsNs,
    output: r.detail,
    evidence: [],
  }));
}

/** The check id of a static finding's tags, if it is one. */
export function staticCheckOf(tags: readonly string[]): string | undefined {
  if (!tags.includes(STATIC_TAG)) return undefined;
  const t = tags.find((x) => x.startsWith('static:'));
  return t?.slice('static:'.length);
}
