/**
 * Hot-path code generation. Closure trees built from one generic combinator share V8 feedback,
 * so their call sites go megamorphic and nothing inlines. Here the rules of each event type become
 * one JavaScript function (`compileBucket`) whose body holds their boolean expressions inline, with
 * field getters and matchers passed in as parameters: every call site is monomorphic, V8 inlines
 * the getters, `evt.type` checks are folded away for the bucket's type, and what several rules
 * share (field values, sub-conditions, pattern scans) is computed once per event.
 *
 * Only compile-time values reach the generated source, always through JSON.stringify or as
 * parameters — rule text is never spliced in as code.
 */
import type { EvalContext } from '../state/context.js';
import { generate, parseNumber, type Pred, type RNode } from './compiler.js';
import { MAX_TABLE_ENTRIES, MultiPatternMatcher, type Pattern, type PatternKind } from './multi-pattern.js';

type Check = RNode & { k: 'check' };

/** One Set per list check node (nodes of macros are shared by every use). */
const listSets = new WeakMap<Check, Set<string | number | undefined>>();

/** A safe JS identifier derived from a rule name (shows up in CPU profiles). */
function fnName(label: string): string {
  const s = label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
  return /^[A-Za-z_]/.test(s) ? s : `r_${s}`;
}

/** "Not read yet" marker for the per-event field locals (a field may legitimately be undefined). */
const UNSET: unknown = Object.freeze({ unset: true });

/** String tests a multi-pattern automaton answers, and the pattern kind each becomes. */
const SCAN_OPS: Record<string, PatternKind> = { startswith: 'prefix', endswith: 'suffix', contains: 'contains' };
/** A field gets an automaton when the bucket tests it against at least this many patterns. */
const MIN_SCAN_PATTERNS = 4;

interface Scanner {
  matcher: MultiPatternMatcher;
  /** Check node → the automaton's id for its pattern. */
  ids: Map<Check, number>;
  /** Glob check → ids of the literal head and tail every match starts and ends with (a cheap pre-test). */
  gates: Map<Check, number[]>;
}

function globbable(n: RNode): n is Check {
  return n.k === 'check' && n.op === 'glob' && !n.field.multi && !n.rhs && n.field.type === 'string' && n.literal !== undefined && n.field.def.name !== 'evt.type';
}

/**
 * The literal text a value must start and end with to match glob `g` (`/proc/[0-9]*\/exe`: `/proc/`
 * and `/exe`): what comes before the first and after the last wildcard or bracket character.
 * Necessary, not sufficient: the glob itself still decides.
 */
export function globLiterals(g: string): { head: string; tail: string } {
  const first = g.search(/[*?[\]]/);
  if (first < 0) return { head: g, tail: g };
  let last = -1;
  for (let i = g.length - 1; i >= 0; i--) {
    const ch = g[i];
    if (ch === '*' || ch === '?' || ch === '[' || ch === ']') {
      last = i;
      break;
    }
  }
  return { head: g.slice(0, first), tail: g.slice(last + 1) };
}

/** What a whole bucket shares: sub-conditions used more than once, and per-field automatons. */
interface Plan {
  shared: Set<RNode>;
  scanners: Map<unknown, Scanner>;
}

const EMPTY_PLAN: Plan = { shared: new Set(), scanners: new Map() };

function scannable(n: RNode): n is Check {
  return n.k === 'check' && !n.field.multi && !n.rhs && n.field.type === 'string' && n.literal !== undefined && Object.hasOwn(SCAN_OPS, n.op) && n.field.def.name !== 'evt.type';
}

/**
 * Walk the rules of a bucket once (a DAG: a node reached again is counted, not walked again):
 * nodes reached twice or more are shared; literal string tests are grouped by field.
 */
function planBucket(roots: readonly RNode[], budget: ScanBudget): Plan {
  const count = new Map<RNode, number>();
  const byField = new Map<unknown, Check[]>();
  const visit = (n: RNode): void => {
    const c = count.get(n);
    if (c !== undefined) {
      count.set(n, c + 1);
      return;
    }
    count.set(n, 1);
    if (n.k === 'and' || n.k === 'or') for (const i of n.items) visit(i);
    else if (n.k === 'not') visit(n.item);
    else if (scannable(n) || globbable(n)) {
      const l = byField.get(n.field.get);
      if (l) l.push(n);
      else byField.set(n.field.get, [n]);
    }
  };
  for (const r of roots) visit(r);
  const shared = new Set<RNode>();
  for (const [n, c] of count) if (c > 1 && (n.k === 'and' || n.k === 'or' || n.k === 'not' || (n.k === 'check' && !cheapCheck(n)))) shared.add(n);
  const scanners = new Map<unknown, Scanner>();
  for (const [get, checks] of byField) {
    const patterns: Pattern[] = [];
    const index = new Map<string, number>();
    const add = (kind: PatternKind, text: string): number => {
      const key = `${kind}\u0000${text}`;
      let i = index.get(key);
      if (i === undefined) {
        i = patterns.length;
        index.set(key, i);
        patterns.push({ kind, text });
      }
      return i;
    };
    const of = new Map<Check, number>();
    const gateOf = new Map<Check, number[]>();
    for (const c of checks) {
      if (c.op === 'glob') {
        const { head, tail } = globLiterals(c.literal!);
        const g: number[] = [];
        if (head !== '') g.push(add('prefix', head));
        if (tail !== '') g.push(add('suffix', tail));
        if (g.length) gateOf.set(c, g);
      } else of.set(c, add(SCAN_OPS[c.op]!, c.literal!));
    }
    if (patterns.length < MIN_SCAN_PATTERNS) continue;
    const matcher = MultiPatternMatcher.build(patterns, Math.min(MAX_TABLE_ENTRIES, budget.entries));
    if (matcher === undefined) continue; // over the automaton size bound or the set's budget: plain tests
    budget.entries -= matcher.tableEntries;
    const ids = new Map<Check, number>();
    for (const [c, i] of of) ids.set(c, matcher.idOf(i));
    const gates = new Map<Check, number[]>();
    for (const [c, g] of gateOf) gates.set(c, g.map((i) => matcher.idOf(i)));
    scanners.set(get, { matcher, ids, gates });
  }
  return { shared, scanners };
}

/** Checks that cost about as much as reading a cached result (a field local and one comparison). */
function cheapCheck(n: Check): boolean {
  return !n.field.multi && !n.rhs && (n.op === 'exists' || n.literal !== undefined || n.list !== undefined) && n.field.type !== 'ipaddr' && n.field.type !== 'ipnet' && n.op !== 'pmatch';
}

class Emitter {
  readonly names: string[] = [];
  readonly values: unknown[] = [];
  private readonly ids = new Map<unknown, string>();
  private readonly fieldLocals = new Map<unknown, string>();
  private readonly nodeLocals = new Map<RNode, string>();
  private readonly scanLocals = new Map<Scanner, string>();

  constructor(readonly plan: Plan) {}

  param(value: unknown, prefix: string): string {
    const existing = this.ids.get(value);
    if (existing) return existing;
    const name = `${prefix}${this.names.length}`;
    this.names.push(name);
    this.values.push(value);
    this.ids.set(value, name);
    return name;
  }

  /** The field's value for this event: read on first use, then from a local. */
  field(get: unknown): string {
    let l = this.fieldLocals.get(get);
    if (!l) {
      l = `f${this.fieldLocals.size}`;
      this.fieldLocals.set(get, l);
    }
    const U = this.param(UNSET, 'U');
    return `(${l} !== ${U} ? ${l} : (${l} = ${this.param(get, 'g')}(c)))`;
  }

  /** A shared node's result for this event: 0 not evaluated yet, 1 true, 2 false. */
  node(n: RNode): string {
    let l = this.nodeLocals.get(n);
    if (!l) {
      l = `n${this.nodeLocals.size}`;
      this.nodeLocals.set(n, l);
    }
    return l;
  }

  /**
   * This event's scan generation for the scanner's field, scanning on first use (-1 when the value
   * is not a string): pattern `id` occurred iff `hits[id] === generation`. `again` names the local
   * alone, for tests that follow one that already scanned in the same expression.
   */
  scan(s: Scanner, get: unknown, again = false): string {
    let l = this.scanLocals.get(s);
    if (!l) {
      l = `q${this.scanLocals.size}`;
      this.scanLocals.set(s, l);
    }
    if (again) return l;
    const M = this.param(s.matcher, 'M');
    return `(${l} !== 0 ? ${l} : (${l} = typeof (v = ${this.field(get)}) === "string" ? ${M}.scan(v) : -1))`;
  }

  /** `hits[id] === generation` — the scan is on the left: it runs before the hit is read. */
  scanned(s: Scanner, get: unknown, ids: readonly number[], isAnd: boolean): string {
    const H = this.param(s.matcher.hits, 'H');
    return ids.map((id, i) => `${this.scan(s, get, i > 0)} === ${H}[${id}]`).join(isAnd ? ' && ' : ' || ');
  }

  locals(): string {
    const U = this.fieldLocals.size > 0 ? this.param(UNSET, 'U') : '';
    const decl = ['v'];
    for (const l of this.fieldLocals.values()) decl.push(`${l} = ${U}`);
    for (const l of this.nodeLocals.values()) decl.push(`${l} = 0`);
    for (const l of this.scanLocals.values()) decl.push(`${l} = 0`);
    return `let ${decl.join(', ')};`;
  }
}

function emitNode(n: RNode, e: Emitter, knownType: string | undefined): string | boolean {
  if (n.k !== 'const' && e.plan.shared.has(n)) {
    const inner = emitRaw(n, e, knownType);
    if (typeof inner === 'boolean') return inner;
    const l = e.node(n);
    return `(${l} !== 0 ? ${l} : (${l} = (${inner}) ? 1 : 2)) === 1`;
  }
  return emitRaw(n, e, knownType);
}

function emitRaw(n: RNode, e: Emitter, knownType: string | undefined): string | boolean {
  switch (n.k) {
    case 'const':
      return n.value;
    case 'not': {
      const i = emitNode(n.item, e, knownType);
      return typeof i === 'boolean' ? !i : `!(${i})`;
    }
    case 'and':
    case 'or': {
      const isAnd = n.k === 'and';
      const parts: string[] = [];
      // Macro nodes are shared: `m or m` holds one node twice, and x or x = x and x = x.
      const seen = new Set<RNode>();
      // Pattern tests on one scanned field, side by side: one expression at the first one's place
      // (the tests are pure, so evaluating them together does not change the result).
      const groups = scanGroups(n.items, e);
      for (const item of n.items) {
        if (seen.has(item)) continue;
        seen.add(item);
        const g = groups.get(item);
        if (g !== undefined) {
          if (g.first === item) parts.push(`(${e.scanned(g.scanner, g.get, g.ids, isAnd)})`);
          continue;
        }
        const s = emitNode(item, e, knownType);
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

interface ScanGroup {
  first: RNode;
  scanner: Scanner;
  get: unknown;
  ids: number[];
}

/** Items of one and/or that are scanned pattern tests, by scanner, where a scanner has two or more. */
function scanGroups(items: readonly RNode[], e: Emitter): Map<RNode, ScanGroup> {
  const out = new Map<RNode, ScanGroup>();
  if (e.plan.scanners.size === 0) return out;
  const byScanner = new Map<Scanner, { items: Check[]; ids: number[] }>();
  for (const item of new Set(items)) {
    if (item.k !== 'check' || e.plan.shared.has(item)) continue;
    const s = e.plan.scanners.get(item.field.get);
    const id = s?.ids.get(item);
    if (s === undefined || id === undefined) continue;
    const g = byScanner.get(s);
    if (g) {
      g.items.push(item);
      g.ids.push(id);
    } else byScanner.set(s, { items: [item], ids: [id] });
  }
  for (const [scanner, g] of byScanner) {
    if (g.items.length < 2) continue;
    const group: ScanGroup = { first: g.items[0]!, scanner, get: g.items[0]!.field.get, ids: g.ids };
    for (const it of g.items) out.set(it, group);
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
    const call = e.field(n.field.get);
    if (op === 'exists') return `${call} !== undefined`;
    const lit = n.literal;
    if (lit !== undefined) {
      if (type === 'string') {
        const L = JSON.stringify(lit);
        const scanner = e.plan.scanners.get(n.field.get);
        const id = scanner?.ids.get(n);
        if (scanner !== undefined && id !== undefined) return e.scanned(scanner, n.field.get, [id], false);
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
  const call = `${e.param(p, 'p')}(c)`;
  // A glob on a scanned field runs only on values with its literal head and tail (from the scan).
  const scanner = n.op === 'glob' ? e.plan.scanners.get(n.field.get) : undefined;
  const gate = scanner?.gates.get(n);
  if (scanner !== undefined && gate !== undefined) return `${e.scanned(scanner, n.field.get, gate, true)} && ${call}`;
  return call;
}

/** Whether the condition is constant false for `knownType` (the rule then stays out of that bucket). */
export function foldsToFalse(n: RNode, knownType: string | undefined): boolean {
  return emitNode(n, new Emitter(EMPTY_PLAN), knownType) === false;
}

/** Compile one resolved condition to a dedicated function, specialised for `knownType` if given. */
export function compilePredicate(n: RNode, knownType?: string, label = 'rule'): Pred | boolean {
  const e = new Emitter(EMPTY_PLAN);
  const body = emitNode(n, e, knownType);
  if (typeof body === 'boolean') return body;
  try {
    const factory = new Function(...e.names, `"use strict"; return function ${fnName(label)}(c) { ${e.locals()} return ${body}; };`) as (...a: unknown[]) => Pred;
    return factory(...e.values);
  } catch {
    // Should not happen; keep the closure compiler as a safety net.
    return generate(n, knownType);
  }
}

/**
 * Automaton table entries one rule set may build over all its buckets (a rule indexed under many
 * event types gets an automaton per type): 4 Mi entries, at most 16 MiB. Past it, plain tests.
 */
export const MAX_RULESET_TABLE_ENTRIES = 4 << 20;

export interface ScanBudget {
  entries: number;
}

export function newScanBudget(entries = MAX_RULESET_TABLE_ENTRIES): ScanBudget {
  return { entries };
}

export interface BucketEntry {
  /** The rule's resolved condition (with exceptions). */
  node: RNode;
  /** Shows up in CPU profiles and error messages. */
  label: string;
  /** Builds the match for this rule (called only when the condition holds). */
  emit(ctx: EvalContext): unknown;
}

/** Generated source per dispatcher function: past this, the bucket is split (V8 optimises small functions). */
const CHUNK_SOURCE_CHARS = 64 * 1024;

/**
 * One dispatcher per event type. Every rule of the bucket is emitted inline, in load order, into
 * one function (or a few, for very large buckets): `if (<condition 0>) out.push(m0(c)); …`.
 * Within a function, per event:
 *  - each field is read once (a local, filled on first use), so the 40 openat rules ask for
 *    `fd.name` once, not 40 times;
 *  - a sub-condition several rules share (a macro node such as `open_read`) is evaluated once
 *    and its result kept in a local;
 *  - the string tests on one field (`fd.name startswith …`, `endswith …`, `contains …`) across
 *    all the rules are answered by one pass of a multi-pattern automaton over the value
 *    (`multi-pattern.ts`), lazily, the first time one of them is asked.
 * The rules' semantics are those of the per-rule predicates (`compilePredicate`); a test
 * compares both over random events (test/unit/rules/engine-equivalence.spec.ts).
 */
export function compileBucket<T>(entries: readonly BucketEntry[], knownType?: string, budget: ScanBudget = newScanBudget()): (ctx: EvalContext, out: T[]) => void {
  if (entries.length === 0) return () => {};
  const plan = planBucket(entries.map((e) => e.node), budget);
  const chunks: ((ctx: EvalContext, out: T[]) => void)[] = [];
  let e = new Emitter(plan);
  let lines: string[] = [];
  let chars = 0;
  const flush = () => {
    if (lines.length === 0) return;
    chunks.push(buildChunk<T>(e, lines, `bucket_${fnName(knownType ?? 'any')}_${chunks.length}`));
    e = new Emitter(plan);
    lines = [];
    chars = 0;
  };
  entries.forEach((en) => {
    const body = emitNode(en.node, e, knownType);
    if (body === false) return;
    const m = e.param(en.emit, 'm');
    const line = body === true ? `out.push(${m}(c)); // ${fnName(en.label)}` : `if (${body}) out.push(${m}(c)); // ${fnName(en.label)}`;
    lines.push(line);
    chars += line.length;
    if (chars > CHUNK_SOURCE_CHARS) flush();
  });
  flush();
  if (chunks.length === 0) return () => {};
  if (chunks.length === 1) return chunks[0]!;
  return (c, out) => {
    for (let i = 0; i < chunks.length; i++) chunks[i]!(c, out);
  };
}

function buildChunk<T>(e: Emitter, lines: string[], name: string): (ctx: EvalContext, out: T[]) => void {
  const src = `"use strict"; return function ${name}(c, out) {\n${e.locals()}\n${lines.join('\n')}\n};`;
  const factory = new Function(...e.names, src) as (...a: unknown[]) => (ctx: EvalContext, out: T[]) => void;
  return factory(...e.values);
}
