/**
 * Rules file loader: YAML → lists, macros and rules (with append/override applied in file
 * order), then compilation of every rule into an evaluator. Never throws on bad input: every
 * item gets a LoadItemReport, syntax errors carry line and column in their YAML file.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode, type YAMLMap, type Pair, type Scalar } from 'yaml';
import type { FieldRegistry } from './field.js';
import { parseCondition, ConditionLimitError, ConditionSyntaxError } from './parser.js';
import { itemField, RULE_LIMITS, type RuleLimitViolation } from './limits.js';
import type { ConditionNode, Operator } from './ast.js';
import { COMPARE_OPS, LIST_OPS } from './ast.js';
import {
  eventTypes,
  exceptionNode,
  newResolveCache,
  nodeSize,
  resolveCondition,
  resolveField,
  RuleCompileError,
  validateCheck,
  type MacroEntry,
  type RNode,
  type TypeSet,
} from './compiler.js';
import { compileOutput, type OutputFormatter } from './output.js';
import { SourceText, type SourcePos } from './source-text.js';
import type { LoadItemReport, Priority, RuleSource } from './types.js';

export const PRIORITIES: readonly Priority[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export function parsePriority(v: unknown): Priority | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'info') return 'informational';
  return (PRIORITIES as readonly string[]).includes(s) ? (s as Priority) : undefined;
}

export const SUPPORTED_SOURCES = new Set(['syscall']);

interface ExceptionDef {
  name: string;
  fields?: string | string[];
  comps?: string | string[];
  values: unknown[];
  at: SourcePos;
}

interface ListDef {
  name: string;
  items: string[];
  /** Items that were written quoted (never expanded as list names). */
  quoted: Set<number>;
  report: LoadItemReport;
}

interface MacroDef {
  name: string;
  cond?: SourceText;
  report: LoadItemReport;
}

interface RuleDef {
  name: string;
  desc: string;
  cond?: SourceText;
  output: string;
  priority?: Priority;
  tags: string[];
  enabled: boolean;
  source: string;
  exceptions: ExceptionDef[];
  report: LoadItemReport;
  /** Reports of append/override items applied to this rule. */
  patches: LoadItemReport[];
  at: SourcePos;
}

export interface CompiledRule {
  name: string;
  desc: string;
  priority: Priority;
  tags: string[];
  source: string;
  enabled: boolean;
  node: RNode;
  types: TypeSet;
  output: OutputFormatter;
  /** Base and full names of the fields the condition (with exceptions) reads. */
  fields: Set<string>;
  order: number;
}

export interface LoadResult {
  report: LoadItemReport[];
  rules: CompiledRule[];
  /** Limits of RULE_LIMITS the sources exceeded (each also an `error` item in the report). */
  limits: RuleLimitViolation[];
}

const RULE_OVERRIDE: Record<string, ('append' | 'replace')[]> = {
  condition: ['append', 'replace'],
  exceptions: ['append', 'replace'],
  output: ['append', 'replace'],
  desc: ['append', 'replace'],
  tags: ['append', 'replace'],
  priority: ['replace'],
  enabled: ['replace'],
};
const MACRO_OVERRIDE: Record<string, ('append' | 'replace')[]> = { condition: ['append', 'replace'] };
const LIST_OVERRIDE: Record<string, ('append' | 'replace')[]> = { items: ['append', 'replace'] };
const KNOWN_OPERATORS = new Set<string>([...COMPARE_OPS, ...LIST_OPS, 'exists']);

class FileCtx {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lc: LineCounter,
  ) {}
  pos(node: YamlNode | undefined | null): SourcePos {
    const off = node?.range?.[0] ?? 0;
    const lp = this.lc.linePos(off);
    return { file: this.file, line: lp.line, column: lp.col };
  }
  source(node: Scalar): SourceText {
    return SourceText.fromScalar(String(node.value ?? ''), this.file, this.text, [node.range![0], node.range![1]], node.type, this.lc);
  }
}

function getPair(map: YAMLMap, key: string): Pair | undefined {
  for (const p of map.items) {
    if (isScalar(p.key) && p.key.value === key) return p as Pair;
  }
  return undefined;
}

function keysOf(map: YAMLMap): string[] {
  return map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?'));
}

function toJs(node: unknown): unknown {
  if (node && typeof node === 'object' && 'toJSON' in node && typeof (node as { toJSON: unknown }).toJSON === 'function') {
    return (node as { toJSON(): unknown }).toJSON();
  }
  return node;
}

function describe(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** Strip explicit quotes kept inside list items (`'"10.0.0.0/8"'`). */
function unquoteItem(s: string): { value: string; quoted: boolean } {
  if (s.length >= 2 && ((s[0] === '"' && s.endsWith('"')) || (s[0] === "'" && s.endsWith("'")))) return { value: s.slice(1, -1), quoted: true };
  return { value: s, quoted: false };
}

export class RulesLoader {
  readonly report: LoadItemReport[] = [];
  readonly limits: RuleLimitViolation[] = [];
  private readonly counts = { rule: 0, macro: 0, list: 0 };
  private readonly lists = new Map<string, ListDef>();
  private readonly macros = new Map<string, MacroDef>();
  private readonly rules = new Map<string, RuleDef>();

  constructor(private readonly fields: FieldRegistry) {}

  loadSource(src: RuleSource): void {
    const bytes = Buffer.byteLength(src.text, 'utf8');
    if (bytes > RULE_LIMITS.maxFileBytes) {
      const r: LoadItemReport = { kind: 'unknown', name: src.name, file: src.name, status: 'error', reason: `file is ${bytes} bytes, more than the limit of ${RULE_LIMITS.maxFileBytes}` };
      this.report.push(r);
      this.limits.push({ field: `file '${src.name}'`, message: r.reason!, file: src.name });
      return;
    }
    const lc = new LineCounter();
    let docs;
    try {
      docs = parseAllDocuments(src.text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
    } catch (e) {
      this.report.push({ kind: 'unknown', name: src.name, file: src.name, status: 'error', reason: `YAML parse failure: ${(e as Error).message}` });
      return;
    }
    const ctx = new FileCtx(src.name, src.text, lc);
    const docList = Array.isArray(docs) ? docs : [];
    for (const doc of docList) {
      if (doc.errors.length > 0) {
        for (const err of doc.errors) {
          const lp = err.linePos?.[0];
          if (/Maximum call stack size exceeded/.test(err.message)) {
            // The YAML composer recursed past the stack: nesting far beyond maxYamlDepth.
            const reason = `YAML nests deeper than ${RULE_LIMITS.maxYamlDepth} levels`;
            this.report.push({ kind: 'unknown', name: src.name, file: src.name, line: lp?.line, column: lp?.col, status: 'error', reason });
            this.limits.push({ field: `file '${src.name}'`, message: reason, file: src.name, line: lp?.line, column: lp?.col });
            break;
          }
          this.report.push({
            kind: 'unknown',
            name: src.name,
            file: src.name,
            line: lp?.line,
            column: lp?.col,
            status: 'error',
            reason: `YAML syntax error: ${err.message.split('\n')[0]}`,
          });
        }
        continue; // like Falco, a file that is not valid YAML contributes nothing
      }
      const root = doc.contents;
      if (root === null || root === undefined) continue;
      const tooDeep = yamlDeeperThan(root as YamlNode, RULE_LIMITS.maxYamlDepth);
      if (tooDeep) {
        const p = ctx.pos(tooDeep);
        const reason = `YAML nests deeper than ${RULE_LIMITS.maxYamlDepth} levels`;
        this.report.push({ kind: 'unknown', name: src.name, file: src.name, line: p.line, column: p.column, status: 'error', reason });
        this.limits.push({ field: `file '${src.name}'`, message: reason, file: src.name, line: p.line, column: p.column });
        continue;
      }
      if (!isSeq(root)) {
        const p = ctx.pos(root as YamlNode);
        this.report.push({ kind: 'unknown', name: src.name, file: src.name, line: p.line, column: p.column, status: 'error', reason: 'rules file must be a YAML list of items' });
        continue;
      }
      for (const item of root.items) {
        try {
          this.loadItem(ctx, item as YamlNode);
        } catch (e) {
          // Defensive: an unexpected shape must never take the loader down.
          const p = ctx.pos(item as YamlNode);
          this.report.push({ kind: 'unknown', name: '?', file: src.name, line: p.line, column: p.column, status: 'error', reason: `internal loader error: ${(e as Error).message}` });
        }
      }
    }
  }

  private loadItem(ctx: FileCtx, node: YamlNode): void {
    const at = ctx.pos(node);
    const base = { file: ctx.file, line: at.line, column: at.column };
    if (!isMap(node)) {
      this.report.push({ kind: 'unknown', name: '?', ...base, status: 'error', reason: 'item must be a map (e.g. "- rule: ...")' });
      return;
    }
    const keys = keysOf(node);
    const has = (k: string) => keys.includes(k);
    const kind = has('rule') ? 'rule' : has('macro') ? 'macro' : has('list') ? 'list' : undefined;
    if (kind && ++this.counts[kind] > RULE_LIMITS.maxItemsPerKind) {
      if (this.counts[kind] === RULE_LIMITS.maxItemsPerKind + 1) {
        const name = String(toJs(getPair(node, kind)?.value) ?? '?');
        const reason = `more than ${RULE_LIMITS.maxItemsPerKind} ${kind}s in the rule set: this and every later ${kind} is refused`;
        this.report.push({ kind, name, ...base, status: 'error', reason });
        this.limits.push({ field: `${kind}s`, message: reason, ...base });
      }
      return;
    }
    if (has('rule')) return this.loadRule(ctx, node, base, at);
    if (has('macro')) return this.loadMacro(ctx, node, base);
    if (has('list')) return this.loadList(node, base);
    if (has('required_engine_version')) {
      const v = toJs(getPair(node, 'required_engine_version')?.value);
      this.report.push({ kind: 'required_engine_version', name: String(v), ...base, status: 'loaded', reason: 'recorded; Quarantine implements the syscall rule language independently of Falco engine versions' });
      return;
    }
    if (has('required_plugin_versions')) {
      const v = toJs(getPair(node, 'required_plugin_versions')?.value);
      const names = Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' && 'name' in x ? String((x as { name: unknown }).name) : '?')).join(', ') : '';
      this.report.push({ kind: 'required_plugin_versions', name: names || '?', ...base, status: 'loaded', reason: 'recorded; container fields are provided natively from sandbox metadata' });
      return;
    }
    this.report.push({ kind: 'unknown', name: keys[0] ?? '?', ...base, status: 'skipped', reason: `unknown item type (keys: ${keys.join(', ')})` });
  }

  // ---------------------------------------------------------------- lists

  private loadList(node: YAMLMap, base: { file: string; line: number; column: number }): void {
    const name = String(toJs(getPair(node, 'list')?.value) ?? '');
    const r: LoadItemReport = { kind: 'list', name, ...base, status: 'loaded' };
    this.report.push(r);
    if (!name) return this.fail(r, 'list has no name');
    const itemsPair = getPair(node, 'items');
    const parsed = this.parseListItems(itemsPair?.value, r);
    if (!parsed) return;
    const mode = this.patchMode(node, r, LIST_OVERRIDE);
    if (mode === null) return;
    const existing = this.lists.get(name);
    const apply = mode.items ?? mode.all;
    if (apply) {
      if (!existing) return this.fail(r, `${apply === 'append' ? 'append to' : 'override of'} undefined list '${name}'`);
      if (!itemsPair) return this.fail(r, `'items' missing for ${apply}`);
      if (apply === 'append') {
        const off = existing.items.length;
        existing.items.push(...parsed.items);
        for (const q of parsed.quoted) existing.quoted.add(q + off);
      } else {
        existing.items = parsed.items;
        existing.quoted = parsed.quoted;
      }
      r.reason = `${apply === 'append' ? 'appended to' : 'replaced items of'} list '${name}' (${existing.report.file}:${existing.report.line})`;
      return;
    }
    if (!itemsPair) return this.fail(r, "list has no 'items'");
    if (existing) {
      existing.report.reason = `redefined at ${describe({ file: base.file, line: base.line, column: base.column })}`;
    }
    this.lists.set(name, { name, items: parsed.items, quoted: parsed.quoted, report: r });
  }

  private parseListItems(node: unknown, r: LoadItemReport): { items: string[]; quoted: Set<number> } | undefined {
    const items: string[] = [];
    const quoted = new Set<number>();
    if (node === undefined || node === null || (isScalar(node) && (node.value === null || node.value === ''))) return { items, quoted };
    if (!isSeq(node)) {
      this.fail(r, "'items' must be a list");
      return undefined;
    }
    for (const it of node.items) {
      const v = isScalar(it) ? it.value : toJs(it);
      if (v === null || v === undefined || typeof v === 'object') {
        this.fail(r, `list item must be a string or number, got ${JSON.stringify(v)}`);
        return undefined;
      }
      const u = unquoteItem(String(v));
      if (u.value.length > RULE_LIMITS.maxLiteralChars) {
        this.limitFail(r, itemField('list', r.name, 'items'), `item ${items.length + 1} is longer than ${RULE_LIMITS.maxLiteralChars} characters (${u.value.length})`);
        return undefined;
      }
      if (u.quoted) quoted.add(items.length);
      items.push(u.value);
    }
    return { items, quoted };
  }

  // ---------------------------------------------------------------- macros

  private loadMacro(ctx: FileCtx, node: YAMLMap, base: { file: string; line: number; column: number }): void {
    const name = String(toJs(getPair(node, 'macro')?.value) ?? '');
    const r: LoadItemReport = { kind: 'macro', name, ...base, status: 'loaded' };
    this.report.push(r);
    if (!name) return this.fail(r, 'macro has no name');
    const condNode = getPair(node, 'condition')?.value;
    let cond: SourceText | undefined;
    if (condNode !== undefined && condNode !== null) {
      if (!isScalar(condNode) || typeof condNode.value !== 'string') return this.fail(r, "'condition' must be a string", ctx.pos(condNode as YamlNode));
      cond = ctx.source(condNode);
    }
    const mode = this.patchMode(node, r, MACRO_OVERRIDE);
    if (mode === null) return;
    const existing = this.macros.get(name);
    const apply = mode.condition ?? mode.all;
    if (apply) {
      if (!existing) return this.fail(r, `${apply === 'append' ? 'append to' : 'override of'} undefined macro '${name}'`);
      if (!cond) return this.fail(r, `'condition' missing for ${apply}`);
      existing.cond = apply === 'append' && existing.cond ? existing.cond.append(cond) : cond;
      r.reason = `${apply === 'append' ? 'appended to' : 'replaced condition of'} macro '${name}' (${existing.report.file}:${existing.report.line})`;
      return;
    }
    if (!cond) return this.fail(r, "macro has no 'condition'");
    if (existing) existing.report.reason = `redefined at ${base.file}:${base.line}:${base.column}`;
    this.macros.set(name, { name, cond, report: r });
  }

  // ---------------------------------------------------------------- rules

  private loadRule(ctx: FileCtx, node: YAMLMap, base: { file: string; line: number; column: number }, at: SourcePos): void {
    const name = String(toJs(getPair(node, 'rule')?.value) ?? '');
    const r: LoadItemReport = { kind: 'rule', name, ...base, status: 'loaded' };
    this.report.push(r);
    if (!name) return this.fail(r, 'rule has no name');
    const keys = keysOf(node);
    const val = (k: string) => toJs(getPair(node, k)?.value);

    // condition
    let cond: SourceText | undefined;
    const condNode = getPair(node, 'condition')?.value;
    if (condNode !== undefined && condNode !== null) {
      if (!isScalar(condNode) || typeof condNode.value !== 'string') return this.fail(r, "'condition' must be a string", ctx.pos(condNode as YamlNode));
      cond = ctx.source(condNode);
    }
    // scalar keys
    const output = val('output');
    if (output !== undefined && output !== null && typeof output !== 'string') return this.fail(r, "'output' must be a string");
    const desc = val('desc');
    let priority: Priority | undefined;
    if (has(keys, 'priority')) {
      priority = parsePriority(val('priority'));
      if (!priority) return this.fail(r, `invalid priority '${String(val('priority'))}' (expected one of ${PRIORITIES.join(', ')}, or info)`, ctx.pos(getPair(node, 'priority')?.value as YamlNode));
    }
    let enabled: boolean | undefined;
    if (has(keys, 'enabled')) {
      const e = val('enabled');
      if (typeof e !== 'boolean') return this.fail(r, "'enabled' must be true or false");
      enabled = e;
    }
    let tags: string[] | undefined;
    if (has(keys, 'tags')) {
      const t = val('tags');
      if (t === null) tags = [];
      else if (!Array.isArray(t)) return this.fail(r, "'tags' must be a list");
      else tags = t.map((x) => String(x));
    }
    const source = has(keys, 'source') ? String(val('source')) : undefined;
    let exceptions: ExceptionDef[] | undefined;
    if (has(keys, 'exceptions')) {
      const ex = this.parseExceptions(ctx, getPair(node, 'exceptions')?.value, r);
      if (!ex) return;
      exceptions = ex;
    }

    const mode = this.patchMode(node, r, RULE_OVERRIDE);
    if (mode === null) return;
    const existing = this.rules.get(name);
    const isPatch = mode.all !== undefined || Object.keys(mode).length > 0;

    if (isPatch) {
      if (!existing) return this.fail(r, `${mode.all === 'append' ? 'append to' : 'override of'} undefined rule '${name}'`);
      const applied: string[] = [];
      const how = (k: string): 'append' | 'replace' | undefined => (mode.all ? (mode.all === 'append' && ['condition', 'exceptions'].includes(k) ? 'append' : undefined) : mode[k]);
      if (mode.all === 'append') {
        const ignored = keys.filter((k) => !['rule', 'append', 'condition', 'exceptions', 'source'].includes(k));
        if (ignored.length) r.reason = `ignored with append: ${ignored.join(', ')} (use override)`;
      }
      if (cond && how('condition')) {
        existing.cond = how('condition') === 'append' && existing.cond ? existing.cond.append(cond) : cond;
        applied.push(`condition ${how('condition')}`);
      }
      if (exceptions && how('exceptions')) {
        if (how('exceptions') === 'replace') existing.exceptions = exceptions;
        else {
          for (const e of exceptions) {
            const prev = existing.exceptions.find((x) => x.name === e.name);
            if (prev) prev.values.push(...e.values);
            else if (e.fields === undefined) return this.fail(r, `exception '${e.name}' is not defined in rule '${name}' and has no 'fields'`, e.at);
            else existing.exceptions.push(e);
          }
        }
        applied.push(`exceptions ${how('exceptions')}`);
      }
      if (typeof output === 'string' && how('output')) {
        existing.output = how('output') === 'append' ? existing.output + ' ' + output : output;
        applied.push(`output ${how('output')}`);
      }
      if (typeof desc === 'string' && how('desc')) {
        existing.desc = how('desc') === 'append' ? existing.desc + ' ' + desc : desc;
        applied.push(`desc ${how('desc')}`);
      }
      if (tags && how('tags')) {
        existing.tags = how('tags') === 'append' ? [...existing.tags, ...tags.filter((t) => !existing.tags.includes(t))] : tags;
        applied.push(`tags ${how('tags')}`);
      }
      if (priority && how('priority')) {
        existing.priority = priority;
        applied.push('priority replace');
      }
      if (enabled !== undefined && how('enabled')) {
        existing.enabled = enabled;
        applied.push('enabled replace');
      }
      const note = `${applied.join(', ') || 'nothing'} applied to rule '${name}' (${existing.report.file}:${existing.report.line})`;
      r.reason = r.reason ? `${note}; ${r.reason}` : note;
      existing.patches.push(r);
      return;
    }

    // Legacy shorthand: only `rule` and `enabled` toggles an existing rule.
    if (existing && keys.every((k) => k === 'rule' || k === 'enabled') && enabled !== undefined) {
      existing.enabled = enabled;
      r.reason = `enabled set to ${enabled} for rule '${name}' (${existing.report.file}:${existing.report.line})`;
      existing.patches.push(r);
      return;
    }

    const missing = ['condition', 'output', 'priority'].filter((k) => !has(keys, k));
    if (missing.length) return this.fail(r, `rule is missing required key${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    if (!cond) return this.fail(r, "'condition' is empty");
    const def: RuleDef = {
      name,
      desc: typeof desc === 'string' ? desc : '',
      cond,
      output: typeof output === 'string' ? output : '',
      priority,
      tags: tags ?? [],
      enabled: enabled ?? true,
      source: source ?? 'syscall',
      exceptions: exceptions ?? [],
      report: r,
      patches: [],
      at,
    };
    if (existing) {
      existing.report.status = 'skipped';
      existing.report.reason = `replaced by the definition at ${base.file}:${base.line}:${base.column}`;
      // Keep the first position in the evaluation order.
      this.rules.set(name, def);
    } else {
      this.rules.set(name, def);
    }
  }

  private parseExceptions(ctx: FileCtx, node: unknown, r: LoadItemReport): ExceptionDef[] | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.fail(r, "'exceptions' must be a list");
      return undefined;
    }
    const out: ExceptionDef[] = [];
    for (const e of node.items) {
      const at = ctx.pos(e as YamlNode);
      const js = toJs(e) as Record<string, unknown> | null;
      if (!js || typeof js !== 'object' || Array.isArray(js)) {
        this.fail(r, 'each exception must be a map with name, fields, comps, values', at);
        return undefined;
      }
      const name = js['name'];
      if (typeof name !== 'string' || !name) {
        this.fail(r, "exception has no 'name'", at);
        return undefined;
      }
      const fields = js['fields'];
      if (fields !== undefined && typeof fields !== 'string' && !(Array.isArray(fields) && fields.every((f) => typeof f === 'string'))) {
        this.fail(r, `exception '${name}': 'fields' must be a field name or a list of field names`, at);
        return undefined;
      }
      const comps = js['comps'];
      if (comps !== undefined && typeof comps !== 'string' && !(Array.isArray(comps) && comps.every((f) => typeof f === 'string'))) {
        this.fail(r, `exception '${name}': 'comps' must be an operator or a list of operators`, at);
        return undefined;
      }
      const values = js['values'];
      if (values !== undefined && values !== null && !Array.isArray(values)) {
        this.fail(r, `exception '${name}': 'values' must be a list`, at);
        return undefined;
      }
      out.push({ name, fields: fields as string | string[] | undefined, comps: comps as string | string[] | undefined, values: (values as unknown[] | undefined) ?? [], at });
    }
    return out;
  }

  /**
   * Reads `append: true` / `override: {key: append|replace}`. Returns {} for a plain definition,
   * {all: 'append'} for legacy append, per-key modes for override, or null after reporting an error.
   */
  private patchMode(node: YAMLMap, r: LoadItemReport, allowed: Record<string, ('append' | 'replace')[]>): Record<string, 'append' | 'replace'> & { all?: 'append' } | null {
    const keys = keysOf(node);
    const append = toJs(getPair(node, 'append')?.value);
    const overrideNode = getPair(node, 'override')?.value;
    if (append !== undefined && typeof append !== 'boolean') {
      this.fail(r, "'append' must be true or false");
      return null;
    }
    if (append === true && overrideNode !== undefined) {
      this.fail(r, "'append' and 'override' cannot be used together");
      return null;
    }
    if (append === true) return { all: 'append' };
    if (overrideNode === undefined) return {};
    const ov = toJs(overrideNode);
    if (!ov || typeof ov !== 'object' || Array.isArray(ov)) {
      this.fail(r, "'override' must be a map of key: append|replace");
      return null;
    }
    const out: Record<string, 'append' | 'replace'> = {};
    for (const [k, v] of Object.entries(ov as Record<string, unknown>)) {
      const modes = allowed[k];
      if (!modes) {
        this.fail(r, `key '${k}' cannot be overridden for a ${r.kind} (allowed: ${Object.keys(allowed).join(', ')})`);
        return null;
      }
      if (v !== 'append' && v !== 'replace') {
        this.fail(r, `override mode for '${k}' must be append or replace, got '${String(v)}'`);
        return null;
      }
      if (!modes.includes(v)) {
        this.fail(r, `'${k}' can only be overridden with ${modes.join(' or ')}, not ${v}`);
        return null;
      }
      if (!keys.includes(k)) {
        this.fail(r, `override names '${k}' but the item has no '${k}' key`);
        return null;
      }
      out[k] = v;
    }
    const nameKey = r.kind === 'rule' ? 'rule' : r.kind;
    const extra = keys.filter((k) => k !== nameKey && k !== 'override' && !(k in out));
    if (extra.length) {
      this.fail(r, `key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not listed in 'override'`);
      return null;
    }
    return out;
  }

  /** An item over a limit: an error in the report and a violation naming `field`. */
  private limitFail(r: LoadItemReport, field: string, reason: string, at?: SourcePos): void {
    this.fail(r, reason, at);
    if (!this.limits.some((l) => l.field === field && l.message === reason)) this.limits.push({ field, message: reason, file: r.file, line: r.line, column: r.column });
  }

  private fail(r: LoadItemReport, reason: string, at?: SourcePos): void {
    r.status = 'error';
    r.reason = reason;
    if (at && at.file === r.file) {
      r.line = at.line;
      r.column = at.column;
    }
  }

  // ---------------------------------------------------------------- compile

  finish(opts: { unavailableFields?: ReadonlySet<string> } = {}): LoadResult {
    void opts;
    // 1. Lists: expand names of other lists (bare items only), cycle-safe, memoised, bounded in
    //    depth (RULE_LIMITS.maxListDepth) and in items (maxListItems) as the expansion is built.
    const expanded = new Map<string, string[]>();
    const listErrors = new Map<string, string>();
    const expand = (name: string, stack: string[]): string[] | undefined => {
      const done = expanded.get(name);
      if (done) return done;
      if (listErrors.has(name)) return undefined;
      const def = this.lists.get(name)!;
      const out: string[] = [];
      let error: string | undefined;
      for (let i = 0; i < def.items.length && error === undefined; i++) {
        const it = def.items[i]!;
        if (!def.quoted.has(i) && this.lists.has(it) && !stack.includes(it)) {
          if (stack.length >= RULE_LIMITS.maxListDepth) {
            error = `lists nest deeper than ${RULE_LIMITS.maxListDepth} levels: ${[...stack, it].join(' -> ')}`;
            break;
          }
          const sub = expand(it, [...stack, it]);
          if (!sub) error = `it names list '${it}', which cannot be expanded: ${listErrors.get(it)}`;
          else if (out.length + sub.length > RULE_LIMITS.maxListItems) error = `expands to more than ${RULE_LIMITS.maxListItems} items`;
          else for (const x of sub) out.push(x);
        } else if (out.length + 1 > RULE_LIMITS.maxListItems) error = `has more than ${RULE_LIMITS.maxListItems} items`;
        else out.push(it);
      }
      if (error !== undefined) {
        listErrors.set(name, error);
        if (def.report.status === 'loaded') this.limitFail(def.report, itemField('list', name, 'items'), error);
        return undefined;
      }
      expanded.set(name, out);
      return out;
    };
    for (const name of this.lists.keys()) expand(name, [name]);

    // 2. Macros: parse each.
    const macroEntries = new Map<string, MacroEntry>();
    for (const m of this.macros.values()) {
      if (!m.cond) continue;
      try {
        macroEntries.set(m.name, { ast: parseCondition(m.cond.text) });
      } catch (e) {
        if (!(e instanceof ConditionSyntaxError)) throw e;
        const at = m.cond.locate(e.pos);
        macroEntries.set(m.name, { error: `${e.message} at ${describe(at)}` });
        m.report.status = 'error';
        m.report.reason = `condition syntax error: ${e.message}`;
        if (at.file === m.report.file) {
          m.report.line = at.line;
          m.report.column = at.column;
        }
        if (e instanceof ConditionLimitError) this.limitFail(m.report, itemField('macro', m.name, 'condition'), e.message);
      }
    }
    const env = { fields: this.fields, macros: macroEntries, lists: expanded, listErrors, cache: newResolveCache() };

    // 3. Macros: resolve on their own so the report names unknown fields even if unused.
    for (const m of this.macros.values()) {
      const entry = macroEntries.get(m.name);
      if (!entry?.ast || m.report.status !== 'loaded') continue;
      try {
        resolveCondition({ kind: 'macro', name: m.name, pos: 0 }, env);
      } catch (e) {
        if (!(e instanceof RuleCompileError)) throw e;
        this.applyCompileError(m.report, e, m.cond!, m.name);
      }
    }

    // 4. Rules.
    const rules: CompiledRule[] = [];
    let order = 0;
    for (const def of this.rules.values()) {
      const compiled = this.compileRule(def, env, order++);
      if (compiled) rules.push(compiled);
    }
    return { report: this.report, rules, limits: this.limits };
  }

  private applyCompileError(r: LoadItemReport, e: RuleCompileError, ownText: SourceText, ownName?: string): void {
    const text = e.macro && e.macro !== ownName ? this.macros.get(e.macro)?.cond : ownText;
    const at = text ? text.locate(e.pos) : undefined;
    const where = e.macro && e.macro !== ownName ? ` (in macro '${e.macro}' at ${at ? describe(at) : '?'})` : '';
    switch (e.kind) {
      case 'unknown-field':
        r.status = 'skipped';
        r.reason = `${e.message}${where}: field not provided by the Quarantine engine`;
        break;
      case 'unknown-macro':
        r.status = 'skipped';
        r.reason = `${e.message}${where}`;
        break;
      case 'macro-error':
        r.status = 'skipped';
        r.reason = `${e.message}${where}`;
        break;
      default:
        r.status = 'error';
        r.reason = `${e.message}${where}`;
    }
    if (at && at.file === r.file) {
      r.line = at.line;
      r.column = at.column;
    }
    if (e.kind === 'limit') {
      const field = e.macro && e.macro !== ownName ? itemField('macro', e.macro, 'condition') : itemField(r.kind, r.name, 'condition');
      const message = e.macro && e.macro !== ownName ? e.message : r.reason!;
      if (!this.limits.some((l) => l.field === field && l.message === message)) this.limits.push({ field, message, file: at?.file ?? r.file, line: at?.line ?? r.line, column: at?.column ?? r.column });
    }
  }

  private compileRule(def: RuleDef, env: Parameters<typeof resolveCondition>[1], order: number): CompiledRule | undefined {
    const r = def.report;
    if (r.status !== 'loaded') return undefined;
    const patchNote = def.patches.length ? ` (with ${def.patches.length} append/override item${def.patches.length > 1 ? 's' : ''})` : '';
    if (!SUPPORTED_SOURCES.has(def.source)) {
      r.status = 'skipped';
      r.reason = `source '${def.source}' is not supported: Quarantine evaluates syscall rules only`;
      return undefined;
    }
    if (!def.priority) {
      this.fail(r, 'rule has no priority');
      return undefined;
    }
    let ast: ConditionNode;
    try {
      ast = parseCondition(def.cond!.text);
    } catch (e) {
      if (!(e instanceof ConditionSyntaxError)) throw e;
      const at = def.cond!.locate(e.pos);
      r.status = 'error';
      r.reason = `condition syntax error: ${e.message}${at.file !== r.file ? ` at ${describe(at)}` : ''}${patchNote}`;
      if (at.file === r.file) {
        r.line = at.line;
        r.column = at.column;
      }
      if (e instanceof ConditionLimitError) this.limitFail(r, itemField('rule', def.name, 'condition'), r.reason);
      return undefined;
    }
    let node: RNode;
    let fields: Set<string>;
    try {
      const res = resolveCondition(ast, env);
      node = res.node;
      fields = res.fields;
    } catch (e) {
      if (!(e instanceof RuleCompileError)) throw e;
      this.applyCompileError(r, e, def.cond!);
      return undefined;
    }
    // Exceptions: `cond and not (tuple or tuple ...)` per exception, as Falco compiles them.
    const notParts: RNode[] = [];
    for (const ex of def.exceptions) {
      try {
        const n = this.compileException(ex, env, fields);
        if (n) notParts.push({ k: 'not', item: n });
      } catch (e) {
        if (!(e instanceof RuleCompileError)) throw e;
        r.status = e.kind === 'unknown-field' ? 'skipped' : 'error';
        r.reason = `exception '${ex.name}' (${describe(ex.at)}): ${e.message}`;
        if (ex.at.file === r.file) {
          r.line = ex.at.line;
          r.column = ex.at.column;
        }
        if (e.kind === 'limit') this.limitFail(r, itemField('rule', def.name, 'exceptions'), r.reason);
        return undefined;
      }
    }
    if (notParts.length) {
      node = { k: 'and', items: [node, ...notParts] };
      const sz = nodeSize(node);
      if (sz.nodes > RULE_LIMITS.maxExpandedNodes) {
        this.limitFail(r, itemField('rule', def.name, 'exceptions'), `condition with exceptions expands to more than ${RULE_LIMITS.maxExpandedNodes} condition nodes`);
        return undefined;
      }
    }
    let output: OutputFormatter;
    let outputNote = '';
    try {
      const o = compileOutput(def.output, this.fields);
      output = o.format;
      if (o.unknown.length) outputNote = `; output field${o.unknown.length > 1 ? 's' : ''} ${o.unknown.join(', ')} not provided (shown as <NA>)`;
    } catch (e) {
      if (!(e instanceof RuleCompileError)) throw e;
      r.status = e.kind === 'unknown-field' ? 'skipped' : 'error';
      r.reason = `output: ${e.message}`;
      return undefined;
    }
    const types = eventTypes(node);
    if (!def.enabled) r.reason = `disabled (enabled: false)${patchNote}${outputNote}`;
    else if (patchNote || outputNote) r.reason = `loaded${patchNote}${outputNote}`;
    return { name: def.name, desc: def.desc, priority: def.priority, tags: def.tags, source: def.source, enabled: def.enabled, node, types, output, fields, order };
  }

  private compileException(ex: ExceptionDef, env: Parameters<typeof resolveCondition>[1], used: Set<string>): RNode | undefined {
    if (ex.fields === undefined) throw new RuleCompileError(`exception has no 'fields'`, 'invalid', 0);
    if (ex.values.length === 0) return undefined;
    const expandValue = (v: unknown): string[] => {
      const out: string[] = [];
      const add = (x: unknown): void => {
        if (Array.isArray(x)) {
          for (const y of x) add(y);
          return;
        }
        const s = String(x);
        const items = env.lists.get(s) ?? [unquoteItem(s).value];
        if (out.length + items.length > RULE_LIMITS.maxListItems) throw new RuleCompileError(`exception values expand to more than ${RULE_LIMITS.maxListItems} items`, 'limit', 0);
        for (const it of items) out.push(it);
      };
      add(v);
      return out;
    };
    const mkCheck = (fieldName: string, op: string, value: unknown): RNode => {
      if (!KNOWN_OPERATORS.has(op)) throw new RuleCompileError(`unknown operator '${op}' in comps`, 'invalid', 0);
      const m = /^([^[\]]+)(?:\[(.*)\])?$/.exec(fieldName.trim());
      const f = resolveField({ name: m?.[1] ?? fieldName, arg: m?.[2], transformers: [], pos: 0, text: fieldName }, env.fields);
      used.add(f.def.name);
      used.add(f.display);
      const n: RNode & { k: 'check' } = { k: 'check', field: f, op: op as Operator, pos: 0 };
      if (op === 'exists') {
        // no value
      } else if ((LIST_OPS as readonly string[]).includes(op)) n.list = expandValue(value);
      else {
        if (Array.isArray(value)) throw new RuleCompileError(`operator '${op}' takes a single value, got a list for field '${fieldName}'`, 'invalid', 0);
        n.literal = unquoteItem(String(value)).value;
      }
      validateCheck(n, fieldName);
      return n;
    };
    if (typeof ex.fields === 'string') {
      const comp = typeof ex.comps === 'string' ? ex.comps : 'in';
      if ((LIST_OPS as readonly string[]).includes(comp)) return mkCheck(ex.fields, comp, ex.values);
      return exceptionNode(ex.values.map((v) => [mkCheck(ex.fields as string, comp, v)]));
    }
    const fieldList = ex.fields;
    const comps = ex.comps === undefined ? fieldList.map(() => '=') : typeof ex.comps === 'string' ? fieldList.map(() => ex.comps as string) : ex.comps;
    if (comps.length !== fieldList.length) throw new RuleCompileError(`'fields' has ${fieldList.length} entries but 'comps' has ${comps.length}`, 'invalid', 0);
    const tuples: RNode[][] = [];
    for (const t of ex.values) {
      if (!Array.isArray(t)) throw new RuleCompileError(`each value must be a list of ${fieldList.length} values matching 'fields', got ${JSON.stringify(t)}`, 'invalid', 0);
      if (t.length !== fieldList.length) throw new RuleCompileError(`value ${JSON.stringify(t)} has ${t.length} entries, 'fields' has ${fieldList.length}`, 'invalid', 0);
      tuples.push(fieldList.map((f, i) => mkCheck(f, comps[i]!, t[i])));
    }
    return exceptionNode(tuples);
  }
}

/** The first node nested deeper than `max` collections, found without recursion; undefined if none. */
function yamlDeeperThan(root: YamlNode, max: number): YamlNode | undefined {
  const stack: [YamlNode, number][] = [[root, 1]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (d > max) return n;
    if (isSeq(n)) for (const it of n.items) stack.push([it as YamlNode, d + 1]);
    else if (isMap(n))
      for (const p of n.items) {
        if (p.key && typeof p.key === 'object') stack.push([p.key as YamlNode, d + 1]);
        if (p.value && typeof p.value === 'object') stack.push([p.value as YamlNode, d + 1]);
      }
  }
  return undefined;
}

function has(keys: string[], k: string): boolean {
  return keys.includes(k);
}
