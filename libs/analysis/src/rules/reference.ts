/**
 * A plain tree-walking evaluator of resolved conditions, for tests and the rule-engine benchmark
 * only: the yardstick the optimised engine (codegen.ts: per-type buckets, fields read once,
 * shared sub-conditions, multi-pattern scans) must agree with, rule for rule and event for event.
 *
 * Deliberately simple and slow: no type index (every rule is tried on every event, its event-type
 * set checked here), no folding, no caching, no grouping; `evt.type` is compared like any other
 * field. String, number and boolean comparisons are written out here; operators whose matchers
 * the optimised engine does not touch (globs, regexes, IP networks, pmatch, icontains, binary
 * tests, val() and multi-valued fields) reuse the closure compiler (compiler.ts `generate`).
 */
import type { EvalContext } from '../state/context.js';
import { generate, parseNumber, toPred, type RNode } from './compiler.js';
import { defaultFields } from './fields.js';
import type { FieldRegistry } from './field.js';
import { RulesLoader, type CompiledRule } from './loader.js';
import type { RuleSource } from './types.js';

export interface ReferenceRuleSet {
  rules: CompiledRule[];
  /** Names of the rules that match, in load order (the order `CompiledRuleSet.evaluate` reports). */
  evaluate(ctx: EvalContext): string[];
}

/** Loads `sources` and evaluates their enabled rules the slow, obvious way. */
export function referenceRuleSet(sources: readonly RuleSource[], fields: FieldRegistry = defaultFields): ReferenceRuleSet {
  const loader = new RulesLoader(fields);
  for (const s of sources) loader.loadSource(s);
  const rules = loader.finish().rules.filter((r) => r.enabled);
  return {
    rules,
    evaluate(ctx) {
      const out: string[] = [];
      const t = ctx.event.type;
      for (const r of rules) {
        if (r.types.set.has(t) === r.types.neg) continue; // not one of the rule's event types
        if (evalNode(r.node, ctx)) out.push(r.name);
      }
      return out;
    },
  };
}

export function evalNode(n: RNode, ctx: EvalContext): boolean {
  switch (n.k) {
    case 'const':
      return n.value;
    case 'not':
      return !evalNode(n.item, ctx);
    case 'and':
      for (const i of n.items) if (!evalNode(i, ctx)) return false;
      return true;
    case 'or':
      for (const i of n.items) if (evalNode(i, ctx)) return true;
      return false;
    case 'check':
      return evalCheck(n, ctx);
  }
}

const closures = new WeakMap<RNode, (ctx: EvalContext) => boolean>();

function viaClosure(n: RNode & { k: 'check' }, ctx: EvalContext): boolean {
  let p = closures.get(n);
  if (!p) {
    p = toPred(generate(n));
    closures.set(n, p);
  }
  return p(ctx);
}

function evalCheck(n: RNode & { k: 'check' }, ctx: EvalContext): boolean {
  const { type, multi } = n.field;
  if (multi || n.rhs) return viaClosure(n, ctx);
  const v = n.field.get(ctx);
  if (n.op === 'exists') return v !== undefined;
  if (v === undefined) return false;
  if (type === 'string' && typeof v === 'string') {
    const lit = n.literal;
    if (lit !== undefined) {
      switch (n.op) {
        case '=':
        case '==':
          return v === lit;
        case '!=':
          return v !== lit;
        case 'startswith':
          return v.slice(0, lit.length) === lit;
        case 'endswith':
          return lit.length === 0 || v.slice(-lit.length) === lit;
        case 'contains':
          return v.split(lit).length > 1 || lit.length === 0;
      }
    } else if (n.list !== undefined && (n.op === 'in' || n.op === 'intersects')) {
      return n.list.some((x) => x === v);
    }
  } else if (type === 'number' && typeof v === 'number') {
    if (n.literal !== undefined) {
      const x = parseNumber(n.literal);
      switch (n.op) {
        case '=':
        case '==':
          return v === x;
        case '!=':
          return v !== x;
        case '<':
          return x !== undefined && v < x;
        case '<=':
          return x !== undefined && v <= x;
        case '>':
          return x !== undefined && v > x;
        case '>=':
          return x !== undefined && v >= x;
      }
    } else if (n.list !== undefined && (n.op === 'in' || n.op === 'intersects')) {
      return n.list.some((x) => parseNumber(x) === v);
    }
  } else if (type === 'bool' && typeof v === 'boolean' && n.literal !== undefined) {
    if (n.op === '=' || n.op === '==') return v === (n.literal === 'true');
    if (n.op === '!=') return v !== (n.literal === 'true');
  }
  return viaClosure(n, ctx);
}
