/**
 * Hot-path code generation. Closure trees built from one generic combinator share V8 feedback,
 * so their call sites go megamorphic and nothing inlines. Here each (rule, event type) becomes
 * its own small JavaScript function whose body is the boolean expression, with field getters
 * and matchers passed in as parameters: every call site is monomorphic, V8 inlines the getters,
 * and `evt.type` checks are folded away for the bucket's type.
 *
 * Only compile-time values reach the generated source, always through JSON.stringify or as
 * parameters — rule text is never spliced in as code.
 */
import type { EvalContext } from '../state/context.js';
import { generate, parseNumber, type Pred, type RNode } from './compiler.js';

type Check = RNode & { k: 'check' };

/** One Set per list check node (nodes of macros are shared by every use). */
const listSets = new WeakMap<Check, Set<string | number | undefined>>();

/** A safe JS identifier derived from a rule name (shows up in CPU profiles). */
function fnName(label: string): string {
  const s = label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
  return /^[A-Za-z_]/.test(s) ? s : `r_${s}`;
}

class Emitter {
  readonly names: string[] = [];
  readonly values: unknown[] = [];
  private readonly ids = new Map<unknown, string>();

  param(value: unknown, prefix: string): string {
    const existing = this.ids.get(value);
    if (existing) return existing;
    const name = `${prefix}${this.names.length}`;
    this.names.push(name);
    this.values.push(value);
    this.ids.set(value, name);
    return name;
  }
}

function emit(n: RNode, e: Emitter, knownType: string | undefined): string | boolean {
  switch (n.k) {
    case 'const':
      return n.value;
    case 'not': {
      const i = emit(n.item, e, knownType);
      return typeof i === 'boolean' ? !i : `!(${i})`;
    }
    case 'and':
    case 'or': {
      const isAnd = n.k === 'and';
      const parts: string[] = [];
      // `f endswith a or f endswith b or f contains c …` (credential-file rules list dozens): one
      // getter call, then the string tests on its value, instead of one getter call per test.
      const grouped = isAnd ? new Map<Check, string>() : groupStringTests(n.items, e);
      // Macro nodes are shared: `m or m` holds one node twice, and x or x = x and x = x.
      const seen = new Set<RNode>();
      for (const item of n.items) {
        if (seen.has(item)) continue;
        seen.add(item);
        if (grouped.size > 0 && item.k === 'check' && grouped.has(item)) {
          const g = grouped.get(item)!;
          if (g !== '') parts.push(`(${g})`);
          continue;
        }
        const s = emit(item, e, knownType);
        if (typeof s === 'boolean') {
          if (s !== isAnd) return s;
          continue;
        }
        parts.push(`(${s})`);
      }
      if (parts.length === 0) return isAnd;
      return parts.join(isAnd ? ' && ' : ' || ');
    }
    case 'check':
      return emitCheck(n, e, knownType);
  }
}

const GROUPABLE_OPS: Record<string, (v: string) => string> = {
  endswith: (l) => `v.endsWith(${l})`,
  startswith: (l) => `v.startsWith(${l})`,
  contains: (l) => `v.includes(${l})`,
  '=': (l) => `v === ${l}`,
  '==': (l) => `v === ${l}`,
};

function groupable(n: RNode): n is Check {
  return n.k === 'check' && !n.field.multi && !n.rhs && n.field.type === 'string' && n.literal !== undefined && Object.hasOwn(GROUPABLE_OPS, n.op) && n.field.def.name !== 'evt.type';
}

/**
 * Within one `or`: string tests with literals on the same single-valued field, two or more, as one
 * expression. The first check of a group maps to the expression, the others to '' (emitted once).
 */
function groupStringTests(items: readonly RNode[], e: Emitter): Map<Check, string> {
  const byGetter = new Map<unknown, Check[]>();
  for (const item of new Set(items)) {
    if (!groupable(item)) continue;
    const list = byGetter.get(item.field.get);
    if (list) list.push(item);
    else byGetter.set(item.field.get, [item]);
  }
  const out = new Map<Check, string>();
  for (const [get, checks] of byGetter) {
    if (checks.length < 2) continue;
    const g = e.param(get, 'g');
    const tests = checks.map((c) => GROUPABLE_OPS[c.op]!(JSON.stringify(c.literal)));
    checks.forEach((c, i) => out.set(c, i === 0 ? `typeof (v = ${g}(c)) === "string" && (${tests.join(' || ')})` : ''));
  }
  return out;
}

function emitCheck(n: Check, e: Emitter, knownType: string | undefined): string | boolean {
  if (knownType !== undefined && n.field.def.name === 'evt.type' && n.rhs === undefined) {
    const p = generate(n);
    return typeof p === 'boolean' ? p : p({ event: { type: knownType, args: {} } } as unknown as EvalContext);
  }
  const { multi, type } = n.field;
  const op = n.op;
  if (!multi && !n.rhs) {
    const g = e.param(n.field.get, 'g');
    const call = `${g}(c)`;
    if (op === 'exists') return `${call} !== undefined`;
    const lit = n.literal;
    if (lit !== undefined) {
      if (type === 'string') {
        const L = JSON.stringify(lit);
        switch (op) {
          case '=':
          case '==':
            return `${call} === ${L}`;
          case '!=':
            return `(v = ${call}) !== undefined && v !== ${L}`;
          case 'startswith':
            return `typeof (v = ${call}) === "string" && v.startsWith(${L})`;
          case 'endswith':
            return `typeof (v = ${call}) === "string" && v.endsWith(${L})`;
          case 'contains':
            return `typeof (v = ${call}) === "string" && v.includes(${L})`;
        }
      } else if (type === 'number') {
        const num = parseNumber(lit);
        if (num !== undefined && Number.isFinite(num)) {
          const N = JSON.stringify(num);
          switch (op) {
            case '=':
            case '==':
              return `${call} === ${N}`;
            case '!=':
              return `(v = ${call}) !== undefined && v !== ${N}`;
            case '<':
            case '<=':
            case '>':
            case '>=':
              return `${call} ${op} ${N}`;
          }
        }
      } else if (type === 'bool' && (lit === 'true' || lit === 'false')) {
        if (op === '=' || op === '==') return `${call} === ${lit}`;
        if (op === '!=') return `(v = ${call}) !== undefined && v !== ${lit}`;
      }
    }
    if (n.list !== undefined && (op === 'in' || op === 'intersects') && (type === 'string' || type === 'number')) {
      let set = listSets.get(n);
      if (!set) {
        set = new Set<string | number | undefined>(type === 'number' ? n.list.map((x) => parseNumber(x)) : n.list);
        listSets.set(n, set);
      }
      const S = e.param(set, 's');
      return `${S}.has(${call})`;
    }
  }
  // Everything else (multi-valued fields, val(), globs, regexes, IPs, pmatch…) uses the closure.
  const p = generate(n);
  if (typeof p === 'boolean') return p;
  return `${e.param(p, 'p')}(c)`;
}

/** Compile a resolved condition to a dedicated function, specialised for `knownType` if given. */
export function compilePredicate(n: RNode, knownType?: string, label = 'rule'): Pred | boolean {
  const e = new Emitter();
  const body = emit(n, e, knownType);
  if (typeof body === 'boolean') return body;
  try {
    const factory = new Function(...e.names, `"use strict"; return function ${fnName(label)}(c) { let v; return ${body}; };`) as (...a: unknown[]) => Pred;
    return factory(...e.values);
  } catch {
    // Should not happen; keep the closure compiler as a safety net.
    return generate(n, knownType);
  }
}

export interface BucketEntry {
  pred: Pred;
  /** Builds the match for this rule (called only when pred is true). */
  emit(ctx: EvalContext): unknown;
}

/**
 * One dispatcher per event type: `if (r0(c)) out.push(m0(c)); if (r1(c)) …` — every rule gets
 * its own monomorphic call site instead of a loop over an array of predicates.
 */
export function compileBucket<T>(entries: readonly BucketEntry[]): (ctx: EvalContext, out: T[]) => void {
  if (entries.length === 0) return () => {};
  const names: string[] = [];
  const values: unknown[] = [];
  const lines: string[] = [];
  entries.forEach((en, i) => {
    names.push(`r${i}`, `m${i}`);
    values.push(en.pred, en.emit);
    lines.push(`if (r${i}(c)) out.push(m${i}(c));`);
  });
  try {
    const factory = new Function(...names, `"use strict"; return function bucket(c, out) {\n${lines.join('\n')}\n};`) as (...a: unknown[]) => (ctx: EvalContext, out: T[]) => void;
    return factory(...values);
  } catch {
    return (c, out) => {
      for (const en of entries) if (en.pred(c)) out.push(en.emit(c) as T);
    };
  }
}
