/**
 * Falco-compatible rule engine: load rule files, compile conditions to closures indexed by
 * event type, evaluate every matching rule for each EvalContext.
 */
import { SANDBOX_OBSERVATION_TYPES, STATIC_EVENT_TYPE } from '../events/event.js';
import { NETWORK_EVENT_TYPES } from '../network/view.js';
import { createHash } from 'node:crypto';
import type { EvalContext } from '../state/context.js';
import type { FieldRegistry } from './field.js';
import { nodeSize, type RNode } from './compiler.js';
import { itemField, RULE_LIMITS, type RuleLimitViolation } from './limits.js';
import { compileBucket, foldsToFalse, newScanBudget } from './codegen.js';
import { defaultFields } from './fields.js';
import { RulesLoader, type CompiledRule } from './loader.js';
import type { OutputFormatter } from './output.js';
import type { LoadItemReport, Priority, RuleMatch, RuleSource } from './types.js';
import type { NormalizedEvent } from '../events/event.js';
import { truncationMask, truncationMaskOfFields } from './truncation.js';

export type { LoadItemReport, Priority, RuleMatch, RuleSource } from './types.js';
export type { FieldDef, FieldRegistry, FieldType, FieldValue } from './field.js';
export { defaultFields, DefaultFieldRegistry, describeFields } from './fields.js';
export { parsePriority, PRIORITIES } from './loader.js';
export { parseCondition, ConditionSyntaxError } from './parser.js';
export * from './truncation.js';
export { RULE_LIMITS, type RuleLimitViolation } from './limits.js';

export interface RuleInfo {
  name: string;
  desc: string;
  priority: Priority;
  tags: string[];
  /** Event types the rule is indexed under; `undefined` = evaluated for every event type. */
  eventTypes?: string[];
  /** Event types the rule can never match even though it sits in the all-types bucket. */
  excludedEventTypes?: string[];
  fields: string[];
}

export interface CompiledRuleSet {
  /** sha256 hex of the sources' names and texts, stable. */
  version: string;
  report: LoadItemReport[];
  /** Limits (RULE_LIMITS) the sources exceeded; the items concerned are errors in `report`. */
  limits: RuleLimitViolation[];
  /** Loaded and enabled (and evaluated) rules. */
  ruleNames: string[];
  notEvaluated: NotEvaluated[];
  /**
   * Every matching rule, in load order: a fresh array per call when something matched, else one
   * shared frozen empty array (read-only, like every result should be treated).
   */
  evaluate(ctx: EvalContext): RuleMatch[];
  /** Metadata of the evaluated rules (for reports and docs). */
  rules: RuleInfo[];
  /**
   * For an event with `truncated` parts: the rules evaluated for its type that read one of those
   * parts and are not among `matched` — they could not be evaluated on it (see truncation.ts).
   * Empty for an event with nothing truncated.
   */
  blindOnTruncated(event: NormalizedEvent, matched: readonly RuleMatch[]): { rule: string; priority: Priority; mask: number }[];
}

/** A loaded rule this run cannot evaluate, and why (scoring weighs what it might have found). */
export interface NotEvaluated {
  rule: string;
  reason: string;
  priority: Priority;
  /** True when the probe lacks a field or the event types the rule needs (not a profile choice). */
  probeBlind: boolean;
}

/** What a probe can see: rules needing more are reported as not evaluated (probe-blind) for its runs. */
export interface ProbeVisibility {
  /** Fields the probe cannot supply. */
  readonly unavailableFields: ReadonlySet<string>;
  /**
   * Event types the probe produces (syscalls it traces plus its non-syscall events such as
   * `procexit`); undefined when it sees every syscall. Sandbox observations (`pids_limit_hit`,
   * `oom_kill`, …) come from the runtime, not the probe, and are always available.
   */
  readonly eventTypes?: ReadonlySet<string>;
}

/** Observations the worker adds to every run whatever the probe, and the network simulator's exchanges. */
const RUNTIME_EVENT_TYPES: readonly string[] = [...SANDBOX_OBSERVATION_TYPES, ...NETWORK_EVENT_TYPES, STATIC_EVENT_TYPE];

export interface CompileOptions {
  fields?: FieldRegistry;
  /** Fields the probe cannot supply this run: rules needing them are listed in `notEvaluated`. */
  unavailableFields?: ReadonlySet<string>;
  /**
   * Event types the probe produces this run (undefined: all). A rule none of whose event types is
   * produced is listed in `notEvaluated` as probe-blind: it could not have matched.
   */
  capturedEventTypes?: ReadonlySet<string>;
  /** Rules switched off by the profile. */
  disabledRules?: ReadonlySet<string>;
}

interface Bucketed {
  node: RNode;
  name: string;
  priority: Priority;
  tags: string[];
  output: OutputFormatter;
}

const NO_MATCHES: RuleMatch[] = Object.freeze([]) as unknown as RuleMatch[];

export function rulesVersion(sources: readonly RuleSource[]): string {
  const h = createHash('sha256');
  for (const s of sources) {
    const name = Buffer.from(s.name, 'utf8');
    const text = Buffer.from(s.text, 'utf8');
    h.update(`${name.length}:`).update(name).update(`${text.length}:`).update(text);
  }
  return h.digest('hex');
}

export function compileRules(sources: RuleSource[], opts: CompileOptions = {}): CompiledRuleSet {
  const fields = opts.fields ?? defaultFields;
  const loader = new RulesLoader(fields);
  for (const s of sources) loader.loadSource(s);
  const { report, rules, limits } = loader.finish();

  const notEvaluated: NotEvaluated[] = [];
  const active: CompiledRule[] = [];
  for (const r of rules) {
    if (!r.enabled) continue;
    if (opts.disabledRules?.has(r.name)) {
      notEvaluated.push({ rule: r.name, reason: 'disabled by the profile', priority: r.priority, probeBlind: false });
      continue;
    }
    if (opts.unavailableFields && opts.unavailableFields.size > 0) {
      const missing = [...r.fields].filter((f) => opts.unavailableFields!.has(f));
      if (missing.length) {
        notEvaluated.push({ rule: r.name, reason: `needs field${missing.length > 1 ? 's' : ''} the probe cannot supply: ${[...new Set(missing)].sort().join(', ')}`, priority: r.priority, probeBlind: true });
        continue;
      }
    }
    if (opts.capturedEventTypes && !r.types.neg && r.types.set.size > 0) {
      const captured = opts.capturedEventTypes;
      const types = [...r.types.set];
      if (!types.some((t) => captured.has(t) || RUNTIME_EVENT_TYPES.includes(t))) {
        notEvaluated.push({ rule: r.name, reason: `the probe does not capture ${types.length > 1 ? 'any of its event types' : 'its event type'}: ${types.sort().join(', ')}`, priority: r.priority, probeBlind: true });
        continue;
      }
    }
    if (!r.types.neg && r.types.set.size === 0) {
      notEvaluated.push({ rule: r.name, reason: 'condition can never match any event type', priority: r.priority, probeBlind: false });
      continue;
    }
    active.push(r);
  }

  // Index by event type. Typed rules are compiled once per type with evt.type folded away;
  // all-types rules are also specialised per known type and kept generic for other types.
  const knownTypes = new Set<string>();
  for (const r of active) for (const t of r.types.set) knownTypes.add(t);
  // Bound the total compilation work (expanded nodes × specialisations, RULE_LIMITS.maxCompiledNodes):
  // a rule that would take the set past it is refused, as an error naming the rule.
  let work = 0;
  for (let i = 0; i < active.length; i++) {
    const r = active[i]!;
    const specs = r.types.neg ? 1 + knownTypes.size : r.types.set.size;
    const w = nodeSize(r.node).nodes * specs;
    if (work + w <= RULE_LIMITS.maxCompiledNodes) {
      work += w;
      continue;
    }
    const reason = `the rule set compiles to more than ${RULE_LIMITS.maxCompiledNodes} condition nodes (expanded nodes × event types); this rule would add ${w}`;
    const item = report.find((x) => x.kind === 'rule' && x.name === r.name && x.status === 'loaded');
    if (item) {
      item.status = 'error';
      item.reason = reason;
    }
    limits.push({ field: itemField('rule', r.name, 'condition'), message: reason, file: item?.file, line: item?.line, column: item?.column });
    active.splice(i--, 1);
  }
  const byType = new Map<string, Bucketed[]>();
  const fallback: Bucketed[] = [];
  const entry = (r: CompiledRule): Bucketed => ({ node: r.node, name: r.name, priority: r.priority, tags: r.tags, output: r.output });
  const masks = new Map<string, number>(active.map((r) => [r.name, truncationMaskOfFields(r.fields)]));
  for (const t of [...knownTypes].sort()) byType.set(t, []);
  for (const r of active) {
    if (!r.types.neg) {
      for (const t of r.types.set) {
        if (foldsToFalse(r.node, t)) continue;
        byType.get(t)!.push(entry(r));
      }
    } else {
      if (!foldsToFalse(r.node, undefined)) fallback.push(entry(r));
      for (const t of knownTypes) {
        if (r.types.set.has(t)) continue;
        if (foldsToFalse(r.node, t)) continue;
        byType.get(t)!.push(entry(r));
      }
    }
  }
  // Buckets were filled rule by rule, so each is already in load order. Each becomes one
  // generated dispatcher evaluating its rules inline, sharing field reads, sub-conditions and
  // string-pattern scans between them (see codegen.ts).
  type Dispatch = (ctx: EvalContext, out: RuleMatch[]) => void;
  const scanBudget = newScanBudget();
  const toDispatch = (list: Bucketed[], type: string | undefined): Dispatch =>
    compileBucket<RuleMatch>(
      list.map((b) => ({
        node: b.node,
        label: type === undefined ? b.name : `${b.name}__${type}`,
        emit: (ctx: EvalContext): RuleMatch => ({ rule: b.name, priority: b.priority, tags: b.tags, output: b.output(ctx) }),
      })),
      type,
      scanBudget,
    );
  const dispatch = new Map<string, Dispatch>();
  for (const [t, list] of byType) dispatch.set(t, toDispatch(list, t));
  const fallbackDispatch = toDispatch(fallback, undefined);

  // Per bucket, the rules that read a truncatable part (for blindOnTruncated; rarely used).
  type Readers = { rule: string; priority: Priority; mask: number }[];
  const readersOf = (list: Bucketed[]): Readers =>
    list.map((b) => ({ rule: b.name, priority: b.priority, mask: masks.get(b.name) ?? 0 })).filter((x) => x.mask !== 0);
  const readers = new Map<string, Readers>();
  for (const [t, list] of byType) readers.set(t, readersOf(list));
  const fallbackReaders = readersOf(fallback);
  const blindOnTruncated = (event: NormalizedEvent, matched: readonly RuleMatch[]): Readers => {
    const m = truncationMask(event.truncated);
    if (m === 0) return [];
    const out: Readers = [];
    for (const r of readers.get(event.type) ?? fallbackReaders) {
      const hit = r.mask & m;
      if (hit !== 0 && !matched.some((x) => x.rule === r.rule)) out.push({ rule: r.rule, priority: r.priority, mask: hit });
    }
    return out;
  };

  // Most events match nothing: they get the one frozen empty array, and the dispatcher pushes into
  // a reused scratch array, copied only when something matched (no allocation per quiet event).
  const scratch: RuleMatch[] = [];
  const evaluate = (ctx: EvalContext): RuleMatch[] => {
    scratch.length = 0; // also after a call that threw half-way
    (dispatch.get(ctx.event.type) ?? fallbackDispatch)(ctx, scratch);
    if (scratch.length === 0) return NO_MATCHES;
    const out = scratch.slice();
    scratch.length = 0;
    return out;
  };

  return {
    version: rulesVersion(sources),
    report,
    limits,
    ruleNames: active.map((r) => r.name),
    notEvaluated,
    evaluate,
    blindOnTruncated,
    rules: active.map((r) => ({
      name: r.name,
      desc: r.desc,
      priority: r.priority,
      tags: r.tags,
      eventTypes: r.types.neg ? undefined : [...r.types.set].sort(),
      excludedEventTypes: r.types.neg && r.types.set.size ? [...r.types.set].sort() : undefined,
      fields: [...r.fields].sort(),
    })),
  };
}

/** Load-report summary, e.g. for the validate endpoint and the upstream check script. */
export function summarizeReport(report: readonly LoadItemReport[]): Record<LoadItemReport['kind'], Record<LoadItemReport['status'], number>> {
  const out = {} as Record<LoadItemReport['kind'], Record<LoadItemReport['status'], number>>;
  for (const r of report) {
    out[r.kind] ??= { loaded: 0, skipped: 0, error: 0 };
    out[r.kind][r.status]++;
  }
  return out;
}
