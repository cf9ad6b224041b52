/**
 * Low-level lexing of strace's output syntax: top-level argument splitting, quoted C strings,
 * `-y`/`-yy` fd annotations (`3</etc/passwd>`, `0</dev/null<char 1:3>>`, `3</memfd:x>(deleted)`),
 * numbers, arrays and socket address structs. Everything is a linear scan over charCodes (no
 * regular expressions on untrusted text, so no backtracking); nothing throws on malformed input.
 */
import type { EventFd, FdType } from '../events/event.js';

const QUOTE = 34; // "
const BACKSLASH = 92;
const LT = 60;
const GT = 62;
const COMMA = 44;
const LPAREN = 40;
const RPAREN = 41;
const LBRACK = 91;
const RBRACK = 93;
const LBRACE = 123;
const RBRACE = 125;
const SLASH = 47;
const STAR = 42;
const SPACE = 32;

export const AT_FDCWD = -100;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Index just past a quoted string starting at `i` (which holds `"`), including a trailing `...`. */
export function skipString(s: string, i: number): number {
  const n = s.length;
  let j = i + 1;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) { j += 2; continue; }
    j++;
    if (c === QUOTE) break;
  }
  if (s.charCodeAt(j) === 46 && s.startsWith('...', j)) j += 3;
  return j > n ? n : j;
}

/** Index just past an fd annotation `<...>` starting at `i` (nested `<>` allowed), plus `(deleted)`. */
export function skipAnnotation(s: string, i: number): number {
  const n = s.length;
  let depth = 0;
  let square = 0;
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j++);
    if (c === LT) depth++;
    else if (c === 91) square++; // [
    else if (c === 93) square--; // ]
    // `->` inside socket endpoints (`TCP:[a:1->b:2]`) is not a closing bracket; outside `[...]` a
    // `>` always closes (a path may end in `-`: `</etc/shadow->`). Paths escape `<>`.
    else if (c === GT && !(square > 0 && s.charCodeAt(j - 2) === 45) && --depth === 0) break;
  }
  if (s.charCodeAt(j) === LPAREN && s.startsWith('(deleted)', j)) j += 9;
  return j;
}

/**
 * Splits `s` from `start` (just after the call's `(`) into top-level arguments, pushing trimmed
 * argument texts into `out`. Returns the index of the call's closing `)`, or -1 if the text ends first
 * (any argument gathered so far is still pushed).
 */
export function splitArgs(s: string, start: number, out: string[]): number {
  const n = s.length;
  let depth = 0;
  let argStart = start;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) { i = skipString(s, i); continue; }
    if (c === LT && i > start && isWordChar(s.charCodeAt(i - 1))) { i = skipAnnotation(s, i); continue; }
    if (c === SLASH && s.charCodeAt(i + 1) === STAR) {
      const e = s.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === LPAREN || c === LBRACK || c === LBRACE) depth++;
    else if (c === RPAREN || c === RBRACK || c === RBRACE) {
      if (depth === 0) {
        if (c === RPAREN) {
          pushTrimmed(s, argStart, i, out);
          return i;
        }
      } else depth--;
    } else if (c === COMMA && depth === 0) {
      pushTrimmed(s, argStart, i, out);
      argStart = i + 1;
    }
    i++;
  }
  pushTrimmed(s, argStart, n, out);
  return -1;
}

function pushTrimmed(s: string, from: number, to: number, out: string[]): void {
  while (from < to && s.charCodeAt(from) === SPACE) from++;
  while (to > from && s.charCodeAt(to - 1) === SPACE) to--;
  if (to > from || out.length > 0) out.push(s.slice(from, to));
}

// ---------------------------------------------------------------------------------------------
// Strings

const scratch = new Uint8Array(65536);
/** Set by decodeString: whether the last decoded string was truncated (strace's `"..."...`) or capped. */
let lastTruncated = false;
/** Whether the last decodeString / decodeStringArray result was truncated by strace (`"..."...`) or capped. */
export function wasTruncated(): boolean { return lastTruncated; }

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes strace's C-escaped string body between `from` and `to` (exclusive, no quotes) to at most
 * `cap` bytes. `encoding` 'utf8' for paths and argv, 'latin1' for buffers (one char per byte).
 */
export function unescape(s: string, from: number, to: number, cap: number, encoding: 'utf8' | 'latin1'): string {
  const bs = s.indexOf('\\', from);
  if (bs < 0 || bs >= to) {
    if (to - from > cap) { lastTruncated = true; return s.slice(from, from + cap); }
    return s.slice(from, to);
  }
  const max = cap < scratch.length ? cap : scratch.length;
  let len = 0;
  let high = false;
  let i = from;
  while (i < to && len < max) {
    let c = s.charCodeAt(i++);
    if (c === BACKSLASH && i < to) {
      const e = s.charCodeAt(i++);
      switch (e) {
        case 110: c = 10; break; // n
        case 116: c = 9; break; // t
        case 114: c = 13; break; // r
        case 118: c = 11; break; // v
        case 102: c = 12; break; // f
        case 97: c = 7; break; // a
        case 98: c = 8; break; // b
        case 101: c = 27; break; // e
        case 120: { // xNN
          const h1 = hexVal(s.charCodeAt(i));
          const h2 = hexVal(s.charCodeAt(i + 1));
          if (h1 >= 0 && h2 >= 0) { c = h1 * 16 + h2; i += 2; } else if (h1 >= 0) { c = h1; i += 1; } else c = 120;
          break;
        }
        default:
          if (e >= 48 && e <= 55) { // octal, up to 3 digits
            c = e - 48;
            for (let k = 0; k < 2; k++) {
              const d = s.charCodeAt(i);
              if (d >= 48 && d <= 55 && i < to) { c = c * 8 + (d - 48); i++; } else break;
            }
            c &= 0xff;
          } else c = e; // \\ \" and anything else literal
      }
    } else if (c > 0x7f) {
      // Already-decoded non-ASCII text (strace never prints it unescaped, but be lenient): encode as UTF-8.
      const bytes = Buffer.from(String.fromCharCode(c), 'utf8');
      for (let k = 0; k < bytes.length && len < max; k++) scratch[len++] = bytes[k]!;
      high = true;
      continue;
    }
    if (c > 0x7f) high = true;
    scratch[len++] = c;
  }
  if (i < to) lastTruncated = true;
  if (!high || encoding === 'latin1') return Buffer.from(scratch.buffer, 0, len).toString('latin1');
  return Buffer.from(scratch.buffer, 0, len).toString('utf8');
}

/**
 * Decodes a quoted argument (`"abc"`, `"abc"...`, `@"abstract"`), or returns undefined when `a`
 * is not a string (NULL, a pointer). Sets `lastTruncated`.
 */
export function decodeString(a: string, cap = 4096, encoding: 'utf8' | 'latin1' = 'utf8'): string | undefined {
  lastTruncated = false;
  let q = a.charCodeAt(0) === QUOTE ? 0 : a.indexOf('"');
  if (q < 0 || q > 1) return undefined;
  const end = skipString(a, q);
  let close = end;
  if (a.endsWith('...', end) && a.charCodeAt(end - 4) === QUOTE) { lastTruncated = true; close = end - 4; }
  else close = end - 1;
  if (close <= q) return '';
  const prefix = q === 1 ? a[0]! : '';
  const body = unescape(a, q + 1, close, cap, encoding);
  return prefix ? prefix + body : body;
}

/** Decodes `["a", "b", ...]` into strings; a trailing `...` (strace's element cap) sets `lastTruncated`. */
export function decodeStringArray(a: string, cap = 4096): string[] | undefined {
  if (a.charCodeAt(0) !== LBRACK) return undefined;
  const out: string[] = [];
  let truncated = false;
  const n = a.length;
  let i = 1;
  while (i < n) {
    const c = a.charCodeAt(i);
    if (c === QUOTE) {
      const e = skipString(a, i);
      const s = decodeString(a.slice(i, e), cap, 'utf8');
      if (lastTruncated) truncated = true;
      out.push(s ?? '');
      i = e;
    } else if (c === 46 && a.startsWith('...', i)) { truncated = true; i += 3; }
    else i++;
  }
  lastTruncated = truncated;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Numbers and fds

/** Parses a leading integer (decimal, 0x hex, 0-octal, negative); NaN if none. `AT_FDCWD` → -100. */
export function parseNum(a: string): number {
  const n = a.length;
  if (n === 0) return NaN;
  let i = 0;
  let neg = false;
  if (a.charCodeAt(0) === 45) { neg = true; i = 1; }
  let c = a.charCodeAt(i);
  if (c < 48 || c > 57) {
    if (a.startsWith('AT_FDCWD')) return AT_FDCWD;
    if (a.startsWith('NULL')) return 0;
    return NaN;
  }
  let v = 0;
  if (c === 48 && (a.charCodeAt(i + 1) === 120 || a.charCodeAt(i + 1) === 88)) {
    i += 2;
    let any = false;
    for (; i < n; i++) {
      const h = hexVal(a.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      any = true;
    }
    if (!any) return NaN;
  } else if (c === 48 && i + 1 < n && a.charCodeAt(i + 1) >= 48 && a.charCodeAt(i + 1) <= 55) {
    for (i++; i < n; i++) {
      c = a.charCodeAt(i);
      if (c < 48 || c > 55) break;
      v = v * 8 + (c - 48);
    }
  } else {
    for (; i < n; i++) {
      c = a.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
  }
  return neg ? -v : v;
}

/** Host pid from strace's `--decode-pids=pidns` comment: `7 /* 6509 in strace's PID NS *\/` → 6509. */
export function translatedPid(a: string): number | undefined {
  const c = a.indexOf('/* ');
  if (c < 0 || a.indexOf(" in strace's PID NS", c) < 0) return undefined;
  const v = parseNum(a.slice(c + 3));
  return Number.isNaN(v) ? undefined : v;
}

/** The raw text of the outermost `<...>` annotation of an fd argument, unescaped; undefined if none. */
export function annotationText(a: string): string | undefined {
  const lt = a.indexOf('<');
  if (lt <= 0) return undefined;
  const end = skipAnnotation(a, lt);
  // end is past '>' (and past '(deleted)')
  let close = end - 1;
  let deleted = false;
  if (a.endsWith('(deleted)', end)) { deleted = true; close = end - 10; }
  if (close <= lt) return undefined;
  const body = unescape(a, lt + 1, close, 4096, 'utf8');
  return deleted ? body + ' (deleted)' : body;
}

const SOCKET_TYPES: Record<string, FdType> = {
  TCP: 'ipv4', UDP: 'ipv4', UDPLITE: 'ipv4', RAW: 'ipv4', PING: 'ipv4', SCTP: 'ipv4', DCCP: 'ipv4', MPTCP: 'ipv4',
  TCPv6: 'ipv6', UDPv6: 'ipv6', UDPLITEv6: 'ipv6', RAWv6: 'ipv6', PINGv6: 'ipv6', SCTPv6: 'ipv6', DCCPv6: 'ipv6', MPTCPv6: 'ipv6',
  UNIX: 'unix', 'UNIX-STREAM': 'unix', 'UNIX-DGRAM': 'unix', 'UNIX-SEQPACKET': 'unix',
  NETLINK: 'netlink', PACKET: 'packet', socket: 'unknown',
};

/** Transport of a `-yy` socket annotation protocol label (`TCPv6` → tcp). */
export function l4protoOfLabel(label: string): 'tcp' | 'udp' | 'icmp' | 'raw' | undefined {
  if (label.startsWith('TCP') || label.startsWith('MPTCP')) return 'tcp';
  if (label.startsWith('UDP')) return 'udp';
  if (label.startsWith('PING')) return 'icmp';
  if (label.startsWith('RAW')) return 'raw';
  return undefined;
}

export interface AnnotatedFd extends EventFd {
  /** Protocol label from `-yy` (`TCP`, `UDPv6`, `UNIX-STREAM`), for sockets. */
  label?: string;
  /** The file was deleted (memfds always are). */
  deleted?: boolean;
}

/** Decodes an fd argument with its `-y`/`-yy` annotation into {num, type, name}; undefined without annotation. */
export function annotatedFd(a: string): AnnotatedFd | undefined {
  const text = annotationText(a);
  if (text === undefined) return undefined;
  const num = parseNum(a);
  return fdFromAnnotation(Number.isNaN(num) ? -1 : num, text);
}

export function fdFromAnnotation(num: number, text: string): AnnotatedFd {
  let deleted = false;
  if (text.endsWith(' (deleted)')) { deleted = true; text = text.slice(0, -10); }
  if (text.charCodeAt(0) === SLASH) {
    const nested = text.indexOf('<');
    const path = nested > 0 ? text.slice(0, nested) : text;
    if (path.startsWith('/memfd:')) return { num, type: 'memfd', name: path.slice(1), deleted: true };
    return { num, type: 'file', name: path, deleted };
  }
  const colon = text.indexOf(':');
  const label = colon > 0 ? text.slice(0, colon) : text;
  if (label === 'pipe') return { num, type: 'pipe', name: text };
  if (label === 'anon_inode') {
    const kind = text.slice(colon + 1);
    let type: FdType = 'unknown';
    if (kind.includes('eventfd') || kind.includes('eventpoll')) type = 'event';
    else if (kind.includes('signalfd')) type = 'signalfd';
    else if (kind.includes('timerfd')) type = 'timerfd';
    else if (kind.includes('inotify')) type = 'inotify';
    else if (kind.includes('bpf')) type = 'bpf';
    return { num, type, name: text };
  }
  const st = SOCKET_TYPES[label];
  if (st !== undefined) {
    const inner = text.slice(colon + 2, text.length - 1); // inside [...]
    let name = '';
    if (st === 'unix') {
      const q = inner.indexOf('"');
      if (q >= 0) name = decodeString(inner.slice(q)) ?? '';
      else if (inner.includes(',')) name = inner.slice(inner.indexOf(',') + 1);
    } else if ((st === 'ipv4' || st === 'ipv6') && inner.includes('->')) name = inner;
    return { num, type: st, name, label };
  }
  return { num, type: 'file', name: text, deleted };
}

// ---------------------------------------------------------------------------------------------
// Structs

export interface SockAddr {
  family: string;
  ip?: string;
  port?: number;
  path?: string;
}

/** Decodes `{sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("10.0.0.1")}` and friends. */
export function decodeSockaddr(a: string): SockAddr | undefined {
  const f = a.indexOf('sa_family=');
  if (f < 0) return undefined;
  let e = f + 10;
  while (e < a.length && a.charCodeAt(e) !== COMMA && a.charCodeAt(e) !== RBRACE) e++;
  const family = a.slice(f + 10, e);
  const out: SockAddr = { family };
  const p = a.indexOf('htons(');
  if (p >= 0) out.port = parseNum(a.slice(p + 6));
  if (family === 'AF_INET') {
    const ia = a.indexOf('inet_addr("');
    if (ia >= 0) out.ip = a.slice(ia + 11, a.indexOf('"', ia + 11));
  } else if (family === 'AF_INET6') {
    const ip = a.indexOf('inet_pton(AF_INET6, "');
    if (ip >= 0) out.ip = a.slice(ip + 21, a.indexOf('"', ip + 21));
  } else if (family === 'AF_UNIX') {
    const sp = a.indexOf('sun_path=');
    if (sp >= 0) {
      const rest = a.slice(sp + 9);
      const s = decodeString(rest.charCodeAt(0) === 64 ? rest : rest);
      out.path = s ?? '';
    }
  }
  return out;
}

/** Value of `key=` inside a struct text (`{flags=CLONE_VM|..., exit_signal=SIGCHLD}`), up to the next top-level comma. */
export function structField(a: string, key: string): string | undefined {
  const k = a.indexOf(key + '=');
  if (k < 0) return undefined;
  const start = k + key.length + 1;
  let depth = 0;
  let i = start;
  for (; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === QUOTE) { i = skipString(a, i) - 1; continue; }
    if (c === LPAREN || c === LBRACK || c === LBRACE) depth++;
    else if (c === RPAREN || c === RBRACK || c === RBRACE) { if (depth === 0) break; depth--; }
    else if (c === COMMA && depth === 0) break;
  }
  return a.slice(start, i);
}

/** `[3<pipe:[1]>, 4<pipe:[1]>]` → the two fd args' texts. */
export function decodeFdPair(a: string): [string, string] | undefined {
  if (a.charCodeAt(0) !== LBRACK) return undefined;
  const parts: string[] = [];
  splitArgs(a.slice(1, a.length - 1) + ')', 0, parts);
  if (parts.length < 2) return undefined;
  return [parts[0]!, parts[1]!];
}
