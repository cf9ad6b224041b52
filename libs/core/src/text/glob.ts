/**
 * Linear-time glob matching for patterns users store (webhook image filters) and operators write
 * (profile rule-file globs). A backtracking RegExp made from `**a**a**a**a**b` took 38 s on a
 * 220-character image name; here patterns with wildcards run on RE2 (re2js: no backtracking,
 * time linear in the input) and patterns without any are a string comparison.
 */
import { RE2JS } from 're2js';

/** Longest pattern compiled (webhook filters are capped at 512 by their DTO). */
export const MAX_GLOB_CHARS = 1024;

const cache = new Map<string, RE2JS | string>();

function compileImageGlob(glob: string): RE2JS | string {
  if (!/[*?]/.test(glob)) return glob;
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '(?s:.*)';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += RE2JS.quote(c);
  }
  return RE2JS.compile(re);
}

/**
 * Whole-string match of an image-reference glob: `*` any run of characters but `/`, `**` anything,
 * `?` one character but `/`. Compiled patterns are cached (bounded). A pattern over MAX_GLOB_CHARS
 * matches nothing.
 */
export function imageGlobMatch(glob: string, value: string): boolean {
  if (glob.length > MAX_GLOB_CHARS) return false;
  let m = cache.get(glob);
  if (m === undefined) {
    m = compileImageGlob(glob);
    if (cache.size >= 256) cache.clear();
    cache.set(glob, m);
  }
  return typeof m === 'string' ? m === value : m.testExact(value);
}

/**
 * Whole-string match of a pattern whose only wildcard is `*` (any run of characters, `/` included).
 * Leftmost placement of each literal part is always right when `*` matches anything, so one pass
 * of `indexOf` decides: no backtracking.
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  if (value.length < head.length + tail.length || !value.startsWith(head) || !value.endsWith(tail)) return false;
  let at = head.length;
  const end = value.length - tail.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (p === '') continue;
    const j = value.indexOf(p, at);
    if (j < 0 || j + p.length > end) return false;
    at = j + p.length;
  }
  return true;
}
