/**
 * Condition compiler: resolves macros, lists and fields (once), derives the set of event types
 * a condition can match (like Falco's evttype resolver), and generates closures. Closures can be
 * specialised for one known event type: `evt.type` checks then fold to constants and whole
 * branches disappear, so an openat event meets only the parts of a rule that matter to it.
 */
import type { EvalContext } from '../state/context.js';
import type { ConditionNode, FieldRefNode, Operator, Transformer } from './ast.js';
import type { FieldDef, FieldRegistry, FieldType, FieldValue } from './field.js';
import {
  cidrContains,
  compileGlob,
  compilePathPrefixMatcher,
  compileRegex,
  hasGlobChars,
  hexToBinaryString,
  ipEquals,
  parseCidr,
  parseIp,
  parseIpCached,
  type Cidr,
} from './matchers.js';
import { literalWeight, RULE_LIMITS } from './limits.js';

export type Pred = (ctx: EvalContext) => boolean;
export type Getter = (ctx: EvalContext) => FieldValue;

export type CompileErrorKind = 'unknown-field' | 'unknown-macro' | 'macro-error' | 'macro-cycle' | 'invalid' | 'limit';

export class RuleCompileError extends Error {
  constructor(
    message: string,
    readonly kind: CompileErrorKind,
    /** Offset in the text of `macro` (or of the rule's condition when `macro` is undefined). */
    readonly pos: number,
    readonly macro?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RuleCompileError';
  }
}

export interface MacroEntry {
  ast?: ConditionNode;
  /** Parse error message, if the macro's condition does not parse. */
  error?: string;
}

export interface ResolveEnv {
  fields: FieldRegistry;
  macros: ReadonlyMap<string, MacroEntry>;
  lists: ReadonlyMap<string, readonly string[]>;
  /** Lists that could not be expanded (over a limit), with the reason: using one is an error. */
  listErrors?: ReadonlyMap<string, string>;
  /**
   * Macro resolutions shared by every condition resolved with this env (one per rule set): each
   * macro is resolved once into a node that every use shares, so macros that reference each
   * other many times cost their size, not the size of their expansion.
   */
  cache?: ResolveCache;
}

interface ResolvedMacro {
  node?: RNode;
  error?: RuleCompileError;
  fields: Set<string>;
  macros: Set<string>;
}

export interface ResolveCache {
  macros: Map<string, ResolvedMacro>;
  fields: Map<string, RField>;
}

export function newResolveCache(): ResolveCache {
  return { macros: new Map(), fields: new Map() };
}

export interface RField {
  def: FieldDef;
  /** Full written name (with bracket arg), e.g. `proc.aname[2]`, `evt.arg.name`. */
  display: string;
  arg?: string;
  transformers: Transformer[];
  type: FieldType;
  multi: boolean;
  get: Getter;
}

export type RNode =
  | { k: 'and'; items: RNode[] }
  | { k: 'or'; items: RNode[] }
  | { k: 'not'; item: RNode }
  | { k: 'const'; value: boolean }
  | { k: 'check'; field: RField; op: Operator; literal?: string; list?: string[]; rhs?: RField; pos: number; macro?: string };

// ------------------------------------------------------------------ size

/** Expanded size (nodes, literal weight included) and depth of a resolved node. Nodes may be shared (a DAG). */
export interface NodeSize {
  nodes: number;
  depth: number;
}

const sizes = new WeakMap<RNode, NodeSize>();

/**
 * Size of the tree a node expands to (a shared node counts at each use), memoised per node so a
 * DAG is measured in time linear in its distinct nodes. Every node below has been measured when
 * it was built (resolveCondition), so the recursion here is one level deep per call.
 */
export function nodeSize(n: RNode): NodeSize {
  const known = sizes.get(n);
  if (known) return known;
  let out: NodeSize;
  switch (n.k) {
    case 'const':
      out = { nodes: 1, depth: 1 };
      break;
    case 'check':
      out = { nodes: 1 + literalWeight(n.literal) + (n.list ? n.list.length >> 8 : 0), depth: 1 };
      break;
    case 'not': {
      const i = nodeSize(n.item);
      out = { nodes: i.nodes + 1, depth: i.depth + 1 };
      break;
    }
    case 'and':
    case 'or': {
      let nodes = 1;
      let depth = 0;
      for (const it of n.items) {
        const i = nodeSize(it);
        nodes += i.nodes;
        if (i.depth > depth) depth = i.depth;
      }
      out = { nodes, depth: depth + 1 };
      break;
    }
  }
  sizes.set(n, out);
  return out;
}

/** Throws a limit error if the node expands past RULE_LIMITS; returns its size. */
function checkSize(n: RNode, pos: number, macro: string | undefined): NodeSize {
  const sz = nodeSize(n);
  const where = macro ? `macro '${macro}'` : 'condition';
  if (sz.nodes > RULE_LIMITS.maxExpandedNodes) throw new RuleCompileError(`${where} expands to more than ${RULE_LIMITS.maxExpandedNodes} condition nodes after macro expansion`, 'limit', pos, macro);
  if (sz.depth > RULE_LIMITS.maxExpandedDepth) throw new RuleCompileError(`${where} nests deeper than ${RULE_LIMITS.maxExpandedDepth} levels after macro expansion`, 'limit', pos, macro);
  return sz;
}

// ------------------------------------------------------------------ resolution

export interface ResolveResult {
  node: RNode;
  /** Every field used (display names and base names), for probe capability checks. */
  fields: Set<string>;
  macros: Set<string>;
}

/**
 * Resolves a parsed condition: fields bound, lists expanded, macros replaced by their (shared)
 * resolved nodes. Bounded: macro chains at most RULE_LIMITS.maxMacroDepth long, the expanded
 * condition at most maxExpandedNodes / maxExpandedDepth (checked as each node is built, so a
 * file whose macros reference each other exponentially fails fast, naming the macro).
 */
export function resolveCondition(ast: ConditionNode, env: ResolveEnv): ResolveResult {
  const cache = env.cache ?? newResolveCache();
  const stack: string[] = [];
  // Fields and macros used, for the condition being resolved and for each macro being resolved.
  const usedStack: { fields: Set<string>; macros: Set<string> }[] = [{ fields: new Set(), macros: new Set() }];
  const top = () => usedStack[usedStack.length - 1]!;

  const resolveFieldRef = (ref: FieldRefNode, macro: string | undefined): RField => {
    const key = ref.text;
    let f = cache.fields.get(key);
    if (!f) {
      f = resolveField(ref, env.fields, macro);
      cache.fields.set(key, f);
    }
    top().fields.add(f.def.name);
    top().fields.add(f.display);
    return f;
  };

  const resolveMacro = (name: string, pos: number, macro: string | undefined): RNode => {
    const m = env.macros.get(name);
    if (!m) throw new RuleCompileError(`undefined macro '${name}'`, 'unknown-macro', pos, macro);
    if (stack.includes(name)) throw new RuleCompileError(`macro cycle: ${[...stack, name].join(' -> ')}`, 'macro-cycle', pos, macro);
    let r = cache.macros.get(name);
    if (!r) {
      if (!m.ast) throw new RuleCompileError(`macro '${name}' has an error: ${m.error ?? 'no condition'}`, 'macro-error', pos, macro);
      if (stack.length >= RULE_LIMITS.maxMacroDepth) throw new RuleCompileError(`macros nest deeper than ${RULE_LIMITS.maxMacroDepth} levels: ${[...stack, name].join(' -> ')}`, 'limit', pos, macro);
      const used = { fields: new Set<string>(), macros: new Set<string>() };
      stack.push(name);
      usedStack.push(used);
      try {
        const node = walk(m.ast, name);
        checkSize(node, m.ast.pos, name);
        r = { node, ...used };
      } catch (e) {
        if (!(e instanceof RuleCompileError)) throw e;
        // A cycle is a property of the path that found it; anything else is the macro's own error.
        if (e.kind === 'macro-cycle') throw e;
        r = { error: e, ...used };
      } finally {
        stack.pop();
        usedStack.pop();
      }
      cache.macros.set(name, r);
    }
    const t = top();
    t.macros.add(name);
    for (const x of r.macros) t.macros.add(x);
    for (const x of r.fields) t.fields.add(x);
    if (r.error) throw r.error;
    return r.node!;
  };

  // Recursion depth of walk over macros being resolved for the first time (the stack this uses).
  let depth = 0;
  const nested = (n: ConditionNode, macro: string | undefined): void => {
    if (++depth > RULE_LIMITS.maxExpandedDepth) throw new RuleCompileError(`${macro ? `macro '${macro}'` : 'condition'} nests deeper than ${RULE_LIMITS.maxExpandedDepth} levels after macro expansion`, 'limit', n.pos, macro);
  };
  const walk = (n: ConditionNode, macro: string | undefined): RNode => {
    let out: RNode;
    switch (n.kind) {
      case 'and':
      case 'or':
        nested(n, macro);
        out = { k: n.kind, items: n.items.map((i) => walk(i, macro)) };
        depth--;
        break;
      case 'not':
        nested(n, macro);
        out = { k: 'not', item: walk(n.item, macro) };
        depth--;
        break;
      case 'macro':
        return resolveMacro(n.name, n.pos, macro);
      case 'check': {
        const field = resolveFieldRef(n.field, macro);
        const node: RNode & { k: 'check' } = { k: 'check', field, op: n.op, pos: n.pos, macro };
        const v = n.value;
        if (v?.kind === 'literal') node.literal = v.value;
        else if (v?.kind === 'list') {
          const items: string[] = [];
          for (const it of v.items) {
            const bad = !it.quoted ? env.listErrors?.get(it.value) : undefined;
            if (bad !== undefined) throw new RuleCompileError(`list '${it.value}' cannot be used: ${bad}`, 'limit', it.pos, macro);
            const l = !it.quoted ? env.lists.get(it.value) : undefined;
            const add = l ?? [it.value];
            if (items.length + add.length > RULE_LIMITS.maxListItems) throw new RuleCompileError(`list has more than ${RULE_LIMITS.maxListItems} items after expanding the lists it names`, 'limit', v.pos, macro);
            for (const x of add) items.push(x);
          }
          node.list = items;
        } else if (v?.kind === 'field') {
          node.rhs = resolveFieldRef(v.field, macro);
        }
        validateCheck(node, n.field.text);
        out = node;
        break;
      }
    }
    checkSize(out, n.pos, macro);
    return out;
  };
  const node = walk(ast, undefined);
  const used = usedStack[0]!;
  return { node, fields: used.fields, macros: used.macros };
}

export function resolveField(ref: FieldRefNode, reg: FieldRegistry, macro?: string): RField {
  let def = reg.get(ref.name);
  let arg = ref.arg;
  if (!def && ref.arg === undefined) {
    // Dotted argument: evt.arg.name → evt.arg + "name".
    for (let i = ref.name.lastIndexOf('.'); i > 0; i = ref.name.lastIndexOf('.', i - 1)) {
      const d = reg.get(ref.name.slice(0, i));
      if (d && d.arg) {
        def = d;
        arg = ref.name.slice(i + 1);
        break;
      }
    }
  }
  const display = ref.arg !== undefined ? `${ref.name}[${ref.arg}]` : ref.name;
  if (!def) throw new RuleCompileError(`unknown field '${display}'`, 'unknown-field', ref.pos, macro, display);
  if (def.arg === 'required' && (arg === undefined || arg === '')) throw new RuleCompileError(`field '${def.name}' requires an argument`, 'invalid', ref.pos, macro, display);
  if (!def.arg && arg !== undefined) throw new RuleCompileError(`field '${def.name}' does not take an argument`, 'invalid', ref.pos, macro, display);
  let base: Getter;
  try {
    const d = def;
    base = d.bind ? d.bind(arg) : (ctx) => d.extract(ctx, arg);
  } catch (e) {
    throw new RuleCompileError((e as Error).message, 'invalid', ref.pos, macro, display);
  }
  let type = def.type;
  let get = base;
  for (const t of ref.transformers) {
    if (t === 'len') {
      if (type !== 'string' && type !== 'list') throw new RuleCompileError(`len() needs a string field, '${display}' is ${type}`, 'invalid', ref.pos, macro, display);
      type = 'number';
    } else if (type !== 'string') {
      throw new RuleCompileError(`${t}() needs a string field, '${display}' is ${type}`, 'invalid', ref.pos, macro, display);
    }
    get = applyTransformer(t, get);
  }
  return { def, display, arg, transformers: ref.transformers, type, multi: def.multi === true, get };
}

function transformOne(t: Transformer, v: string | number | boolean): FieldValue {
  const s = String(v);
  switch (t) {
    case 'tolower':
      return s.toLowerCase();
    case 'toupper':
      return s.toUpperCase();
    case 'basename': {
      const i = s.lastIndexOf('/');
      return i < 0 ? s : s.slice(i + 1);
    }
    case 'b64': {
      if (!/^[A-Za-z0-9+/=\s_-]*$/.test(s)) return undefined;
      return Buffer.from(s, 'base64').toString('latin1');
    }
    case 'len':
      return s.length;
  }
}

function applyTransformer(t: Transformer, inner: Getter): Getter {
  return (ctx) => {
    const v = inner(ctx);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      if (t === 'len') return v.length;
      const out: string[] = [];
      for (const e of v) {
        const r = transformOne(t, e);
        if (typeof r === 'string') out.push(r);
      }
      return out;
    }
    return transformOne(t, v);
  };
}

const STRING_ONLY_OPS = new Set<Operator>(['contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'pmatch']);
const RELATIONAL = new Set<Operator>(['<', '<=', '>', '>=']);

export function validateCheck(n: RNode & { k: 'check' }, text: string): void {
  const t = n.field.type;
  const fail = (msg: string): never => {
    throw new RuleCompileError(msg, 'invalid', n.pos, n.macro, n.field.display);
  };
  if (STRING_ONLY_OPS.has(n.op) && t !== 'string') fail(`operator '${n.op}' cannot be used with ${t} field '${text}'`);
  if (RELATIONAL.has(n.op) && (t === 'bool' || t === 'ipaddr' || t === 'ipnet')) fail(`operator '${n.op}' cannot be used with ${t} field '${text}'`);
  const checkLit = (v: string) => {
    if (t === 'number' && parseNumber(v) === undefined) fail(`'${v}' is not a number (field '${text}' is numeric)`);
    if (t === 'bool' && v !== 'true' && v !== 'false') fail(`'${v}' is not a boolean (field '${text}' is true/false)`);
    if ((t === 'ipaddr' || t === 'ipnet') && !parseCidr(v)) fail(`'${v}' is not an IP address or network (field '${text}')`);
  };
  if (n.literal !== undefined) {
    checkLit(n.literal);
    if ((n.op === 'bcontains' || n.op === 'bstartswith') && hexToBinaryString(n.literal) === undefined) fail(`'${n.literal}' is not a hex byte string for '${n.op}'`);
    if (n.op === 'regex' || n.op === 'glob' || n.op === 'iglob') {
      if (n.literal.length > RULE_LIMITS.maxPatternChars) {
        throw new RuleCompileError(`${n.op} pattern for '${text}' is longer than ${RULE_LIMITS.maxPatternChars} characters (${n.literal.length})`, 'limit', n.pos, n.macro, n.field.display);
      }
      try {
        if (n.op === 'regex') compileRegex(n.literal);
        else compileGlob(n.literal, n.op === 'iglob');
      } catch (e) {
        fail(`invalid ${n.op === 'regex' ? 'regex (RE2 syntax)' : 'glob'} '${n.literal}': ${(e as Error).message}`);
      }
    }
  }
  if (n.list) for (const v of n.list) checkLit(v);
  if (n.list && n.op === 'pmatch') {
    for (const v of n.list) {
      if (!hasGlobChars(v)) continue;
      if (v.length > RULE_LIMITS.maxPatternChars) throw new RuleCompileError(`pmatch pattern for '${text}' is longer than ${RULE_LIMITS.maxPatternChars} characters (${v.length})`, 'limit', n.pos, n.macro, n.field.display);
      try {
        compilePathPrefixMatcher([v]);
      } catch (e) {
        fail(`invalid pmatch pattern '${v}': ${(e as Error).message}`);
      }
    }
  }
  if (n.rhs) {
    if (n.op === 'in' || n.op === 'intersects' || n.op === 'pmatch') fail(`val() cannot be used with '${n.op}'`);
    const rt = n.rhs.type;
    const norm = (x: FieldType) => (x === 'ipnet' ? 'ipaddr' : x);
    if (norm(rt) !== norm(t)) fail(`field '${text}' is ${t} while val(${n.rhs.display}) is ${rt}`);
  }
}

export function parseNumber(v: string): number | undefined {
  const s = v.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  return undefined;
}

// ------------------------------------------------------------------ event types

/** Types a condition can match: `neg` false → exactly `set`; `neg` true → every type except `set`. */
export interface TypeSet {
  set: Set<string>;
  neg: boolean;
}

const ALL: TypeSet = { set: new Set(), neg: true };

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { set: new Set([...a.set, ...b.set]), neg: false };
  if (a.neg && b.neg) return { set: new Set([...a.set].filter((x) => b.set.has(x))), neg: true };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { set: new Set([...neg.set].filter((x) => !pos.set.has(x))), neg: true };
}

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (!a.neg && !b.neg) return { set: new Set([...a.set].filter((x) => b.set.has(x))), neg: false };
  if (a.neg && b.neg) return { set: new Set([...a.set, ...b.set]), neg: true };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { set: new Set([...pos.set].filter((x) => !neg.set.has(x))), neg: false };
}

function isEvtTypeCheck(n: RNode & { k: 'check' }): boolean {
  return n.field.def.name === 'evt.type' && n.field.transformers.length === 0 && n.rhs === undefined;
}

/** Event types for which the condition can be true (negations pushed to the leaves). */
export function eventTypes(n: RNode, negated = false): TypeSet {
  switch (n.k) {
    case 'const':
      return n.value !== negated ? ALL : { set: new Set(), neg: false };
    case 'not':
      return eventTypes(n.item, !negated);
    case 'and':
    case 'or': {
      const useIntersect = (n.k === 'and') !== negated;
      let acc: TypeSet | undefined;
      for (const i of n.items) {
        const t = eventTypes(i, negated);
        acc = acc === undefined ? t : useIntersect ? intersect(acc, t) : union(acc, t);
      }
      return acc ?? ALL;
    }
    case 'check': {
      if (!isEvtTypeCheck(n)) return ALL;
      let s: TypeSet | undefined;
      if ((n.op === '=' || n.op === '==') && n.literal !== undefined) s = { set: new Set([n.literal]), neg: false };
      else if (n.op === '!=' && n.literal !== undefined) s = { set: new Set([n.literal]), neg: true };
      else if ((n.op === 'in' || n.op === 'intersects') && n.list) s = { set: new Set(n.list), neg: false };
      if (!s) return ALL;
      return negated ? { set: s.set, neg: !s.neg } : s;
    }
  }
}

// ------------------------------------------------------------------ code generation

type CPred = Pred | boolean;

const checkPreds = new WeakMap<RNode, Pred>();

/** Compile to a closure, optionally specialised for a known event type. */
export function generate(n: RNode, knownType?: string): CPred {
  switch (n.k) {
    case 'const':
      return n.value;
    case 'not': {
      const i = generate(n.item, knownType);
      if (typeof i === 'boolean') return !i;
      return (c) => !i(c);
    }
    case 'and':
    case 'or': {
      const isAnd = n.k === 'and';
      const parts: Pred[] = [];
      for (const item of n.items) {
        const g = generate(item, knownType);
        if (typeof g === 'boolean') {
          if (g !== isAnd) return g; // false in and / true in or decides
          continue;
        }
        parts.push(g);
      }
      if (parts.length === 0) return isAnd;
      if (parts.length === 1) return parts[0]!;
      if (isAnd) {
        if (parts.length === 2) {
          const [a, b] = parts as [Pred, Pred];
          return (c) => a(c) && b(c);
        }
        if (parts.length === 3) {
          const [a, b, d] = parts as [Pred, Pred, Pred];
          return (c) => a(c) && b(c) && d(c);
        }
        return (c) => {
          for (let i = 0; i < parts.length; i++) if (!parts[i]!(c)) return false;
          return true;
        };
      }
      if (parts.length === 2) {
        const [a, b] = parts as [Pred, Pred];
        return (c) => a(c) || b(c);
      }
      if (parts.length === 3) {
        const [a, b, d] = parts as [Pred, Pred, Pred];
        return (c) => a(c) || b(c) || d(c);
      }
      return (c) => {
        for (let i = 0; i < parts.length; i++) if (parts[i]!(c)) return true;
        return false;
      };
    }
    case 'check': {
      // One closure per check node: a macro's nodes are shared by every rule and use (a DAG), so
      // its matchers and sets are built once, not once per expanded occurrence.
      let p = checkPreds.get(n);
      if (!p) {
        p = generateCheck(n);
        checkPreds.set(n, p);
      }
      if (knownType !== undefined && n.field.def.name === 'evt.type' && n.rhs === undefined) {
        return p({ event: { type: knownType, args: {} } } as unknown as EvalContext);
      }
      return p;
    }
  }
}

export function toPred(c: CPred): Pred {
  if (typeof c === 'boolean') return c ? () => true : () => false;
  return c;
}

type Test = (v: string | number | boolean) => boolean;

function generateCheck(n: RNode & { k: 'check' }): Pred {
  const { get, multi, type } = n.field;
  const op = n.op;
  if (op === 'exists') {
    if (multi) return (c) => {
      const v = get(c);
      return v !== undefined && (!Array.isArray(v) || v.length > 0);
    };
    return (c) => get(c) !== undefined;
  }
  if (n.rhs) return generateDynamic(n);

  // Fast paths for the most common shapes on single-valued fields.
  if (!multi && n.literal !== undefined) {
    const lit = n.literal;
    if (type === 'string') {
      if (op === '=' || op === '==') return (c) => get(c) === lit;
      if (op === '!=') return (c) => {
        const v = get(c);
        return v !== undefined && v !== lit;
      };
      if (op === 'startswith') return (c) => {
        const v = get(c);
        return typeof v === 'string' && v.startsWith(lit);
      };
      if (op === 'endswith') return (c) => {
        const v = get(c);
        return typeof v === 'string' && v.endsWith(lit);
      };
      if (op === 'contains') return (c) => {
        const v = get(c);
        return typeof v === 'string' && v.includes(lit);
      };
    } else if (type === 'number') {
      const num = parseNumber(lit)!;
      if (op === '=' || op === '==') return (c) => get(c) === num;
      if (op === '!=') return (c) => {
        const v = get(c);
        return v !== undefined && v !== num;
      };
      if (op === '<') return (c) => (get(c) as number) < num;
      if (op === '<=') return (c) => (get(c) as number) <= num;
      if (op === '>') return (c) => (get(c) as number) > num;
      if (op === '>=') return (c) => (get(c) as number) >= num;
    } else if (type === 'bool') {
      const b = lit === 'true';
      if (op === '=' || op === '==') return (c) => get(c) === b;
      if (op === '!=') return (c) => {
        const v = get(c);
        return v !== undefined && v !== b;
      };
    }
  }
  if (!multi && n.list !== undefined && (op === 'in' || op === 'intersects')) {
    if (type === 'string') {
      const set = new Set(n.list);
      return (c) => set.has(get(c) as string);
    }
    if (type === 'number') {
      const set = new Set(n.list.map((x) => parseNumber(x)!));
      return (c) => set.has(get(c) as number);
    }
  }

  const test = buildTest(n);
  if (!multi) return (c) => {
    const v = get(c);
    return v !== undefined && !Array.isArray(v) && test(v as string | number | boolean);
  };
  return (c) => {
    const v = get(c);
    if (v === undefined) return false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (test(v[i]!)) return true;
      return false;
    }
    return test(v);
  };
}

function buildTest(n: RNode & { k: 'check' }): Test {
  const { type } = n.field;
  const op = n.op;
  const lit = n.literal;
  const list = n.list;

  if (type === 'ipaddr' || type === 'ipnet') {
    const nets: Cidr[] = (list ?? [lit!]).map((x) => parseCidr(x)!);
    const exactIps = type === 'ipaddr' && nets.every((c) => (c.v6 ? c.bits === 128 : c.bits === 32));
    const inAny = (v: string | number | boolean): boolean => {
      const ip = parseIpCached(String(v));
      if (!ip) return false;
      for (const c of nets) if (cidrContains(c, ip)) return true;
      return false;
    };
    if (exactIps && (op === '=' || op === '==' || op === '!=')) {
      const target = parseIp((lit ?? '').split('/')[0]!)!;
      const eq = (v: string | number | boolean) => {
        const ip = parseIpCached(String(v));
        return ip !== undefined && ipEquals(ip, target);
      };
      return op === '!=' ? (v) => !eq(v) : eq;
    }
    if (op === '!=') return (v) => !inAny(v);
    return inAny;
  }

  if (type === 'number') {
    if (list) {
      const set = new Set(list.map((x) => parseNumber(x)!));
      return (v) => set.has(v as number);
    }
    const num = parseNumber(lit!)!;
    switch (op) {
      case '=':
      case '==':
        return (v) => v === num;
      case '!=':
        return (v) => v !== num;
      case '<':
        return (v) => (v as number) < num;
      case '<=':
        return (v) => (v as number) <= num;
      case '>':
        return (v) => (v as number) > num;
      case '>=':
        return (v) => (v as number) >= num;
      default:
        return () => false;
    }
  }

  if (type === 'bool') {
    if (list) {
      const set = new Set(list.map((x) => x === 'true'));
      return (v) => set.has(v as boolean);
    }
    const b = lit === 'true';
    return op === '!=' ? (v) => v !== b : (v) => v === b;
  }

  // string
  if (list) {
    if (op === 'pmatch') {
      const m = compilePathPrefixMatcher(list);
      return (v) => typeof v === 'string' && m(v);
    }
    const set = new Set(list);
    return (v) => set.has(String(v));
  }
  const s = lit!;
  switch (op) {
    case '=':
    case '==':
      return (v) => v === s;
    case '!=':
      return (v) => v !== s;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const num = parseNumber(s);
      const cmp = relational(op);
      if (num !== undefined) return (v) => {
        const x = typeof v === 'number' ? v : parseNumber(String(v));
        return x !== undefined && cmp(x, num);
      };
      return (v) => cmp(String(v), s);
    }
    case 'contains':
      return (v) => String(v).includes(s);
    case 'icontains': {
      const low = s.toLowerCase();
      return (v) => String(v).toLowerCase().includes(low);
    }
    case 'startswith':
      return (v) => String(v).startsWith(s);
    case 'endswith':
      return (v) => String(v).endsWith(s);
    case 'bcontains': {
      const b = hexToBinaryString(s)!;
      return (v) => String(v).includes(b);
    }
    case 'bstartswith': {
      const b = hexToBinaryString(s)!;
      return (v) => String(v).startsWith(b);
    }
    case 'glob': {
      const re = compileGlob(s);
      return (v) => re.test(String(v));
    }
    case 'iglob': {
      const re = compileGlob(s, true);
      return (v) => re.test(String(v));
    }
    case 'regex': {
      // RE2 like Falco, anchored at both ends (RE2 ANCHOR_BOTH): linear in the value.
      const re = compileRegex(s);
      return (v) => re.test(String(v));
    }
    default:
      return () => false;
  }
}

function relational(op: '<' | '<=' | '>' | '>='): <T extends string | number>(a: T, b: T) => boolean {
  switch (op) {
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
  }
}

/** `field op val(other)`: both sides extracted per event; any-of semantics on arrays. */
function generateDynamic(n: RNode & { k: 'check' }): Pred {
  const lget = n.field.get;
  const rget = n.rhs!.get;
  const type = n.field.type;
  const op = n.op;
  const cmp2 = (a: string | number | boolean, b: string | number | boolean): boolean => {
    if (type === 'ipaddr' || type === 'ipnet') {
      const ia = parseIp(String(a));
      const ib = parseCidr(String(b));
      if (!ia || !ib) return false;
      const inNet = cidrContains(ib, ia);
      return op === '!=' ? !inNet : inNet;
    }
    switch (op) {
      case '=':
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
      case '<=':
      case '>':
      case '>=':
        return relational(op)(a as number, b as number);
      case 'contains':
        return String(a).includes(String(b));
      case 'icontains':
        return String(a).toLowerCase().includes(String(b).toLowerCase());
      case 'startswith':
        return String(a).startsWith(String(b));
      case 'endswith':
        return String(a).endsWith(String(b));
      // Patterns read from the event (val()): bounded like written ones, invalid ones match nothing.
      case 'glob':
      case 'iglob':
      case 'regex': {
        const pat = String(b);
        if (pat.length > RULE_LIMITS.maxPatternChars) return false;
        try {
          return (op === 'regex' ? compileRegex(pat) : compileGlob(pat, op === 'iglob')).test(String(a));
        } catch {
          return false;
        }
      }
      default:
        return false;
    }
  };
  return (c) => {
    const a = lget(c);
    const b = rget(c);
    if (a === undefined || b === undefined) return false;
    const as = Array.isArray(a) ? a : [a];
    const bs = Array.isArray(b) ? b : [b];
    for (const x of as) for (const y of bs) if (cmp2(x, y)) return true;
    return false;
  };
}

/** Build the AST-free exception clause for one exception tuple list (see loader). */
export function exceptionNode(items: RNode[][]): RNode {
  const tuples: RNode[] = items.map((t) => (t.length === 1 ? t[0]! : { k: 'and', items: t }));
  if (tuples.length === 0) return { k: 'const', value: false };
  return tuples.length === 1 ? tuples[0]! : { k: 'or', items: tuples };
}
