import { type CompileOptions, compileRules, summarizeReport } from './index.js';
import type { RuleLimitViolation } from './limits.js';
import type { LoadItemReport, RuleSource } from './types.js';

export interface ValidationResult {
  /** No item has status `error` (skipped items are reported, not fatal). */
  valid: boolean;
  version: string;
  summary: ReturnType<typeof summarizeReport>;
  rulesLoaded: number;
  items: LoadItemReport[];
  /** Limits the file exceeded (a validate request answers 400 when there is one). */
  limits: RuleLimitViolation[];
  notEvaluated: { rule: string; reason: string }[];
}

/** Loads rule sources exactly as a run would and reports every item: loaded, skipped (why) or error (line, column). */
export function validateRules(sources: RuleSource[], opts: CompileOptions = {}): ValidationResult {
  const rules = compileRules(sources, opts);
  return {
    valid: !rules.report.some((r) => r.status === 'error'),
    version: rules.version,
    summary: summarizeReport(rules.report),
    rulesLoaded: rules.ruleNames.length,
    items: rules.report,
    limits: rules.limits,
    notEvaluated: rules.notEvaluated,
  };
}
