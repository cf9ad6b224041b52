/**
 * String, path and network matchers used by the compiled rule operators: fnmatch-style globs,
 * Falco's `pmatch` path-prefix matching (with glob components), IPv4/IPv6 address and CIDR
 * parsing. Compiled once per rule, never per event. Every matcher runs in time linear in its
 * input: plain string tests where they suffice, RE2 (re2js, no backtracking) otherwise.
 */
import { RE2JS } from 're2js';

/** A compiled string matcher (a glob, a regex): linear time in the input, whatever the pattern. */
export interface StringMatcher {
  test(value: string): boolean;
}

/**
 * Translate an fnmatch pattern (no FNM_PATHNAME, no escapes: `*` also matches `/`) to RE2 syntax,
 * anchored by the caller. Literal characters go through RE2JS.quote; `[...]` classes keep their
 * ranges, with `!` or `^` negation.
 */
export function globToRe2Source(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      out += '(?s:.*)';
    } else if (c === '?') {
      out += '(?s:.)';
    } else if (c === '[') {
      // Find the closing bracket; `]` right after `[` or `[!` is a literal member.
      let j = i + 1;
      if (pattern[j] === '!' || pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += RE2JS.quote('[');
        continue;
      }
      let body = pattern.slice(i + 1, j);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/[\\\][^]/g, (m) => '\\' + m);
      out += '[' + (negate ? '^' : '') + cls + ']';
      i = j;
    } else {
      out += RE2JS.quote(c);
    }
  }
  return out;
}

/**
 * Compile an fnmatch glob to a linear-time matcher. Globs made only of literals and `*` (nearly all
 * of them) are plain string tests: equality, prefix + suffix for one `*`, and an in-order search of
 * the literal parts for more (leftmost placement is always right when `*` matches anything, so
 * there is no backtracking). Globs with `?` or `[...]` run on RE2 (re2js), linear in the input.
 */
export function compileGlob(pattern: string, caseInsensitive = false): StringMatcher {
  if (!/[?[]/.test(pattern)) {
    const pat = caseInsensitive ? pattern.toLowerCase() : pattern;
    const norm = caseInsensitive ? (v: string) => v.toLowerCase() : (v: string) => v;
    const parts = pat.split('*');
    if (parts.length === 1) return { test: (v) => norm(v) === pat };
    const head = parts[0]!;
    const tail = parts[parts.length - 1]!;
    const min = head.length + tail.length;
    if (parts.length === 2) {
      if (!caseInsensitive) return { test: (v) => v.length >= min && v.startsWith(head) && v.endsWith(tail) };
      return {
        test: (v) => {
          if (v.length < min) return false;
          const low = v.toLowerCase();
          return low.startsWith(head) && low.endsWith(tail);
        },
      };
    }
    const middle = parts.slice(1, -1).filter((p) => p !== '');
    return {
      test: (raw) => {
        if (raw.length < min) return false;
        const v = norm(raw);
        if (!v.startsWith(head) || !v.endsWith(tail)) return false;
        let at = head.length;
        const end = v.length - tail.length;
        for (const m of middle) {
          const i = v.indexOf(m, at);
          if (i < 0 || i + m.length > end) return false;
          at = i + m.length;
        }
        return true;
      },
    };
  }
  const re = RE2JS.compile(globToRe2Source(pattern), caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return remembering((v) => re.testExact(v));
}

/** Values up to this long are remembered by `remembering` (bounded memory per matcher). */
const MEMO_VALUE_CHARS = 256;
const MEMO_ENTRIES = 256;

/**
 * RE2 costs a few microseconds per test where V8's RegExp costs a fraction of one, and the same
 * values come back again and again (every event of a process carries its command line). Remember
 * the last value, and short values in a small bounded map, per compiled matcher.
 */
function remembering(test: (v: string) => boolean): StringMatcher {
  let lastValue: string | undefined;
  let lastResult = false;
  const seen = new Map<string, boolean>();
  return {
    test(v: string): boolean {
      if (v === lastValue) return lastResult;
      const short = v.length <= MEMO_VALUE_CHARS;
      let r = short ? seen.get(v) : undefined;
      if (r === undefined) {
        r = test(v);
        if (short) {
          if (seen.size >= MEMO_ENTRIES) seen.clear();
          seen.set(v, r);
        }
      }
      lastValue = v;
      lastResult = r;
      return r;
    },
  };
}

/**
 * Compile a Falco `regex` (RE2 syntax, like Falco itself) anchored at both ends (Falco's RE2
 * ANCHOR_BOTH). Throws RE2JSException on syntax RE2 refuses (look-around, backreferences).
 */
export function compileRegex(pattern: string): StringMatcher {
  const re = RE2JS.compile(pattern);
  return remembering((v) => re.testExact(v));
}

export function hasGlobChars(s: string): boolean {
  return /[*?[]/.test(s);
}

/**
 * Falco `pmatch`: true if any right-hand path is a component-wise prefix of the value
 * (`/var/run` matches `/var/run` and `/var/run/x`, not `/var/runner`). Right-hand
 * components may contain glob wildcards (Falco ≥ 0.36).
 */
export function compilePathPrefixMatcher(prefixes: readonly string[]): (path: string) => boolean {
  const plain: string[] = [];
  const globbed: (StringMatcher | string)[][] = [];
  let matchAllAbsolute = false;
  for (const raw of prefixes) {
    let p = raw;
    while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    if (p === '/') {
      matchAllAbsolute = true;
      continue;
    }
    if (hasGlobChars(p)) {
      globbed.push(p.split('/').map((c) => (hasGlobChars(c) ? compileGlob(c) : c)));
    } else {
      plain.push(p);
    }
  }
  const plainSet = new Set(plain);
  return (path: string): boolean => {
    if (matchAllAbsolute && path.startsWith('/')) return true;
    if (plainSet.size > 0) {
      if (plainSet.has(path)) return true;
      // Walk the value's own prefixes at each `/`: O(path length) Set lookups.
      let idx = path.indexOf('/', 1);
      while (idx > 0) {
        if (plainSet.has(path.slice(0, idx))) return true;
        idx = path.indexOf('/', idx + 1);
      }
    }
    if (globbed.length > 0) {
      const comps = path.split('/');
      outer: for (const g of globbed) {
        if (g.length > comps.length) continue;
        for (let i = 0; i < g.length; i++) {
          const m = g[i]!;
          const c = comps[i]!;
          if (typeof m === 'string' ? m !== c : !m.test(c)) continue outer;
        }
        return true;
      }
    }
    return false;
  };
}

// ---------------------------------------------------------------- IP addresses

export interface ParsedIp {
  v6: boolean;
  /** IPv4 as an unsigned 32-bit number (v6 = false), or IPv6 as a 128-bit bigint. */
  v4num: number;
  v6num: bigint;
}

export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function parseIpv6(s: string): bigint | undefined {
  let str = s;
  if (str.startsWith('[') && str.endsWith(']')) str = str.slice(1, -1);
  const zone = str.indexOf('%');
  if (zone >= 0) str = str.slice(0, zone);
  if (!str.includes(':')) return undefined;
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  let tail: number[] = [];
  const lastColon = str.lastIndexOf(':');
  const maybeV4 = str.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === undefined) return undefined;
    tail = [(v4 >>> 16) & 0xffff, v4 & 0xffff];
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = str.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    if (str.indexOf('::', dbl + 1) >= 0) return undefined;
    const head = str.slice(0, dbl) ? str.slice(0, dbl).split(':') : [];
    const rest = str.slice(dbl + 2) ? str.slice(dbl + 2).split(':') : [];
    const missing = 8 - head.length - rest.length;
    if (missing < 0) return undefined;
    groups = [...head, ...new Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = str.split(':');
  }
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    let v = parseInt(g, 16);
    if (tail.length && i >= 6) v = tail[i - 6]!;
    n = (n << 16n) | BigInt(v);
  }
  return n;
}

export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { v6: false, v4num: v4, v6num: 0n };
  const v6 = parseIpv6(s);
  if (v6 !== undefined) {
    // IPv4-mapped IPv6 compares as IPv4.
    if (v6 >> 32n === 0xffffn) return { v6: false, v4num: Number(v6 & 0xffffffffn), v6num: 0n };
    return { v6: true, v4num: 0, v6num: v6 };
  }
  return undefined;
}

export interface Cidr {
  v6: boolean;
  bits: number;
  net4: number;
  mask4: number;
  net6: bigint;
  mask6: bigint;
}

/** Parse `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128 network). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = slash >= 0 ? s.slice(0, slash) : s;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const maxBits = ip.v6 ? 128 : 32;
  let bits = maxBits;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b)) return undefined;
    bits = Number(b);
    if (bits > maxBits) return undefined;
  }
  if (!ip.v6) {
    const mask4 = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { v6: false, bits, net4: (ip.v4num & mask4) >>> 0, mask4, net6: 0n, mask6: 0n };
  }
  const mask6 = bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
  return { v6: true, bits, net4: 0, mask4: 0, net6: ip.v6num & mask6, mask6 };
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.v6 !== ip.v6) return false;
  if (!c.v6) return ((ip.v4num & c.mask4) >>> 0) === c.net4;
  return (ip.v6num & c.mask6) === c.net6;
}

/** Bounded memo: a run talks to few addresses, and rules parse the same ones over and over. */
const ipCache = new Map<string, ParsedIp | undefined>();
export function parseIpCached(s: string): ParsedIp | undefined {
  const hit = ipCache.get(s);
  if (hit !== undefined || ipCache.has(s)) return hit;
  if (ipCache.size >= 4096) ipCache.clear();
  const ip = parseIp(s);
  ipCache.set(s, ip);
  return ip;
}

export function ipEquals(a: ParsedIp, b: ParsedIp): boolean {
  return a.v6 === b.v6 && (a.v6 ? a.v6num === b.v6num : a.v4num === b.v4num);
}

/** Decode a hex string (`cafebabe`) to a binary (latin1) string for `bcontains`/`bstartswith`. */
export function hexToBinaryString(hex: string): string | undefined {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return undefined;
  let out = '';
  for (let i = 0; i < h.length; i += 2) out += String.fromCharCode(parseInt(h.slice(i, i + 2), 16));
  return out;
}
