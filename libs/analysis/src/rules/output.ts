/**
 * Rule output templates: `%field`, `%field[arg]`, `%(field)` are replaced with the field's value
 * for the event, `<NA>` when it has none. Compiled once per rule into literal/getter parts.
 */
import type { EvalContext } from '../state/context.js';
import type { FieldRegistry, FieldValue } from './field.js';
import { resolveField, RuleCompileError, type Getter } from './compiler.js';

export type OutputFormatter = (ctx: EvalContext) => string;

export function formatValue(v: FieldValue): string {
  if (v === undefined) return '<NA>';
  if (Array.isArray(v)) return v.length ? v.join(',') : '<NA>';
  return String(v);
}

/**
 * Compile an output template. Unknown fields render as `<NA>` and are listed in `unknown`
 * (the condition decides whether a rule can run; the output only describes the match).
 * Invalid arguments (e.g. `%proc.aname[x]`) throw RuleCompileError.
 */
export function compileOutput(rawTemplate: string, fields: FieldRegistry): { format: OutputFormatter; fields: string[]; unknown: string[] } {
  // Folded YAML scalars (`output: >`) end in a newline; an alert is one line.
  const template = rawTemplate.trim();
  const parts: (string | Getter)[] = [];
  const used: string[] = [];
  const unknown: string[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    const start = i;
    let name = '';
    let arg: string | undefined;
    let j = i + 1;
    if (template[j] === '%') {
      lit += '%';
      i = j + 1;
      continue;
    }
    if (template[j] === '(') {
      const close = template.indexOf(')', j);
      if (close < 0) {
        lit += c;
        i++;
        continue;
      }
      const inner = template.slice(j + 1, close).trim();
      const m = /^([A-Za-z0-9_.]+)(?:\[(.*)\])?$/.exec(inner);
      if (!m) {
        lit += template.slice(start, close + 1);
        i = close + 1;
        continue;
      }
      name = m[1]!;
      arg = m[2];
      j = close + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(template.slice(j));
      if (!m) {
        lit += c;
        i++;
        continue;
      }
      name = m[0];
      // A trailing dot is punctuation, not part of the field name ("file=%fd.name.").
      while (name.endsWith('.')) name = name.slice(0, -1);
      j += name.length;
      if (template[j] === '[') {
        const close = template.indexOf(']', j);
        if (close > 0) {
          arg = template.slice(j + 1, close);
          j = close + 1;
        }
      }
    }
    const text = arg !== undefined ? `${name}[${arg}]` : name;
    let get: Getter;
    try {
      const f = resolveField({ name, arg, transformers: [], pos: start, text }, fields);
      used.push(f.display);
      get = f.get;
    } catch (e) {
      if (!(e instanceof RuleCompileError) || e.kind !== 'unknown-field') throw e;
      unknown.push(text);
      get = () => undefined;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(get);
    i = j;
  }
  if (lit) parts.push(lit);
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return { format: () => s, fields: used, unknown };
  }
  return { format: generateFormatter(parts), fields: used, unknown };
}

/**
 * One generated function per template: `"lit" + F(g0(c)) + "lit" + …`, so every getter has its own
 * call site (a loop over the parts calls them all from one megamorphic site). Only literals, through
 * JSON.stringify, and parameter names reach the source; the loop is the fallback.
 */
function generateFormatter(parts: readonly (string | Getter)[]): OutputFormatter {
  if (parts.length > MAX_GENERATED_PARTS) return loopFormatter(parts);
  const names: string[] = ['F'];
  const values: unknown[] = [formatValue];
  const terms = parts.map((p) => {
    if (typeof p === 'string') return JSON.stringify(p);
    names.push(`g${names.length}`);
    values.push(p);
    return `F(${names[names.length - 1]}(c))`;
  });
  try {
    const factory = new Function(...names, `"use strict"; return function format(c) { return ${terms.join(' + ')}; };`) as (...a: unknown[]) => OutputFormatter;
    return factory(...values);
  } catch {
    return loopFormatter(parts);
  }
}

/** Templates with more parts than this (hostile ones) are formatted by the loop, not a generated expression. */
const MAX_GENERATED_PARTS = 256;

function loopFormatter(parts: readonly (string | Getter)[]): OutputFormatter {
  return (ctx) => {
    let out = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      out += typeof p === 'string' ? p : formatValue(p(ctx));
    }
    return out;
  };
}

export { RuleCompileError };
