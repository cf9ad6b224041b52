/**
 * Reads the network simulator's capture (NetCapture JSON lines) as hostile input: bounded line
 * length, line count, total bytes and field sizes; malformed lines (not JSON, wrong types, binary)
 * are counted and sampled, never thrown. What passes is a validated, size-capped copy.
 */
import { isIP } from 'node:net';
import { FIRST_BYTES_CAP, type NetCapture, type NetCaptureKind, type NetEndpoint } from './capture.js';
import { escapeText } from './escape.js';

export interface CaptureLimits {
  /** Captures kept (sorted by time); further lines are counted as dropped. */
  maxCaptures: number;
  /** A longer line is skipped as bad without being buffered. */
  maxLineBytes: number;
  /** Bytes read from the capture at most; the rest is not read. */
  maxBytes: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { maxCaptures: 20_000, maxLineBytes: 128 * 1024, maxBytes: 64 * 1024 * 1024 };

export interface CaptureStats {
  lines: number;
  accepted: number;
  bad: number;
  /** The first bad lines' reasons (line number, reason, escaped start of the line). */
  badSamples: { line: number; reason: string; text: string }[];
  /** Lines beyond maxCaptures, or not read because maxBytes was reached. */
  dropped: number;
  bytes: number;
  /** maxBytes reached: the end of the capture was not read. */
  truncated: boolean;
  /** Reading the capture failed part-way (I/O error): what was read before is kept. */
  error?: string;
}

/** A validated capture: NetCapture with its byte fields decoded and its strings capped. */
export interface CaptureRecord extends NetCapture {
  /** Line number in the capture file (1-based). */
  line: number;
  firstBytesBuf?: Buffer;
  bodyBuf?: Buffer;
}

const KINDS = new Set<NetCaptureKind>(['dns', 'http', 'tls', 'tcp', 'udp']);
const SERVED = new Set(['elf', 'script', 'html', 'text', 'none']);
const MAX_STR = 8192;
const MAX_HEADERS = 64;
const MAX_ANSWERS = 32;

class Bad extends Error {}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}
function strOpt(v: unknown, what: string, max = MAX_STR): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Bad(`${what} is not a string`);
  return v.length > max ? v.slice(0, max) : v;
}
function str(v: unknown, what: string, max = MAX_STR): string {
  const s = strOpt(v, what, max);
  if (s === undefined) throw new Bad(`${what} is missing`);
  return s;
}
function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Bad(`${what} is not an integer in [${min}, ${max}]`);
  return v;
}

/** IPv4-mapped IPv6 → IPv4; IPv6 lower-cased; zone ids dropped. */
export function normalizeIp(ip: string): string {
  let s = ip.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.startsWith('::ffff:') && isIP(s.slice(7)) === 4) return s.slice(7);
  return s;
}

function endpoint(v: unknown, what: string): NetEndpoint {
  const o = obj(v, what);
  const ip = normalizeIp(str(o.ip, `${what}.ip`, 64));
  if (isIP(ip) === 0) throw new Bad(`${what}.ip is not an IP address`);
  return { ip, port: int(o.port, `${what}.port`, 0, 65535) };
}

function b64(v: unknown, what: string, cap: number): Buffer | undefined {
  const s = strOpt(v, what, Math.ceil(cap / 3) * 4 + 8);
  if (s === undefined) return undefined;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new Bad(`${what} is not base64`);
  const b = Buffer.from(s, 'base64');
  return b.length > cap ? b.subarray(0, cap) : b;
}

/** Validates one parsed JSON value; throws Bad with the reason. */
export function toCaptureRecord(o0: unknown, line: number): CaptureRecord {
  const o = obj(o0, 'line');
  if (o.v !== 1) throw new Bad(`unsupported version ${JSON.stringify(o.v)?.slice(0, 20)}`);
  const ts = o.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0 || ts > 1e14) throw new Bad('ts is not a time in ms');
  const kind = o.kind as NetCaptureKind;
  if (!KINDS.has(kind)) throw new Bad('kind is not dns|http|tls|tcp|udp');
  const transport = o.transport;
  if (transport !== 'tcp' && transport !== 'udp') throw new Bad('transport is not tcp|udp');
  const rec: CaptureRecord = {
    v: 1, ts, kind, transport, line,
    src: endpoint(o.src, 'src'),
    dst: endpoint(o.dst, 'dst'),
    bytesIn: typeof o.bytesIn === 'number' && Number.isFinite(o.bytesIn) && o.bytesIn >= 0 ? o.bytesIn : 0,
  };
  if (o.dns !== undefined && o.dns !== null) {
    const d = obj(o.dns, 'dns');
    const answers = d.answers === undefined ? [] : d.answers;
    if (!Array.isArray(answers)) throw new Bad('dns.answers is not an array');
    rec.dns = {
      name: str(d.name, 'dns.name', 1024),
      type: str(d.type, 'dns.type', 16),
      answers: answers.slice(0, MAX_ANSWERS).map((a, i) => normalizeIp(str(a, `dns.answers[${i}]`, 256))),
    };
  }
  if (o.http !== undefined && o.http !== null) {
    const h = obj(o.http, 'http');
    const headers: Record<string, string> = {};
    if (h.headers !== undefined && h.headers !== null) {
      const hs = obj(h.headers, 'http.headers');
      let n = 0;
      for (const [k, v] of Object.entries(hs)) {
        if (n++ >= MAX_HEADERS) break;
        if (typeof v === 'string') headers[k.slice(0, 256).toLowerCase()] = v.length > MAX_STR ? v.slice(0, MAX_STR) : v;
      }
    }
    const served = h.served;
    if (served !== undefined && served !== null && (typeof served !== 'string' || !SERVED.has(served))) throw new Bad('http.served is not elf|script|html|text|none');
    rec.http = {
      method: str(h.method, 'http.method', 32),
      host: str(h.host ?? '', 'http.host', 1024),
      path: str(h.path, 'http.path'),
      headers,
      bodyBytes: typeof h.bodyBytes === 'number' && Number.isFinite(h.bodyBytes) && h.bodyBytes >= 0 ? h.bodyBytes : 0,
      status: typeof h.status === 'number' && Number.isInteger(h.status) ? h.status : 0,
    };
    const ua = strOpt(h.userAgent, 'http.userAgent', 1024);
    if (ua !== undefined) rec.http.userAgent = ua;
    if (served) rec.http.served = served as NonNullable<NetCapture['http']>['served'];
    const sha = strOpt(h.servedSha256, 'http.servedSha256', 64);
    if (sha !== undefined) rec.http.servedSha256 = sha;
    const body = b64(h.body, 'http.body', FIRST_BYTES_CAP);
    if (body !== undefined) rec.bodyBuf = body;
  }
  if (o.tls !== undefined && o.tls !== null) {
    const t = obj(o.tls, 'tls');
    rec.tls = {};
    const sni = strOpt(t.sni, 'tls.sni', 1024);
    if (sni !== undefined) rec.tls.sni = sni;
    if (Array.isArray(t.alpn)) rec.tls.alpn = t.alpn.slice(0, 16).filter((a): a is string => typeof a === 'string').map((a) => a.slice(0, 64));
  }
  const fb = b64(o.firstBytes, 'firstBytes', FIRST_BYTES_CAP);
  if (fb !== undefined) rec.firstBytesBuf = fb;
  if (kind === 'dns' && rec.dns === undefined) throw new Bad('kind dns without dns');
  if (kind === 'http' && rec.http === undefined) throw new Bad('kind http without http');
  return rec;
}

/**
 * Splits raw capture bytes into lines and validates them, within `limits`. Chunks may be Buffers
 * or strings (a file stream, or test fixtures). Never throws for bad content.
 */
export async function readCaptures(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS,
): Promise<{ captures: CaptureRecord[]; stats: CaptureStats }> {
  const stats: CaptureStats = { lines: 0, accepted: 0, bad: 0, badSamples: [], dropped: 0, bytes: 0, truncated: false };
  const captures: CaptureRecord[] = [];
  let parts: Buffer[] = [];
  let partLen = 0;
  let tooLong = false;
  const bad = (reason: string, text: string) => {
    stats.bad++;
    if (stats.badSamples.length < 5) stats.badSamples.push({ line: stats.lines, reason, text: escapeText(text, 120) });
  };
  const endLine = () => {
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partLen);
    const long = tooLong;
    parts = [];
    partLen = 0;
    tooLong = false;
    let text = buf.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!long && text.trim() === '') return;
    stats.lines++;
    if (long) return bad(`line longer than ${limits.maxLineBytes} bytes`, text);
    if (captures.length >= limits.maxCaptures) {
      stats.dropped++;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return bad('not JSON', text);
    }
    try {
      captures.push(toCaptureRecord(parsed, stats.lines));
      stats.accepted++;
    } catch (e) {
      if (e instanceof Bad) bad(e.message, text);
      else throw e;
    }
  };
  const feed = (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!tooLong) {
        const piece = chunk.subarray(start, end);
        if (partLen + piece.length > limits.maxLineBytes) {
          tooLong = true;
          parts = [Buffer.concat([...parts, piece]).subarray(0, 200)];
          partLen = parts[0]!.length;
        } else if (piece.length) {
          parts.push(piece);
          partLen += piece.length;
        }
      }
      if (nl < 0) return;
      endLine();
      start = nl + 1;
    }
  };
  try {
    for await (const c of input as AsyncIterable<Buffer | string>) {
      let chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      if (stats.bytes + chunk.length > limits.maxBytes) {
        chunk = chunk.subarray(0, limits.maxBytes - stats.bytes);
        stats.truncated = true;
      }
      stats.bytes += chunk.length;
      feed(chunk);
      if (stats.truncated) break;
    }
  } catch (e) {
    stats.error = escapeText((e as Error)?.message ?? String(e), 200);
    stats.truncated = true;
  }
  if (stats.truncated) {
    // The last, cut line is not trusted.
    if (partLen > 0 || tooLong) stats.dropped++;
  } else if (partLen > 0 || tooLong) endLine();
  captures.sort((a, b) => a.ts - b.ts || a.line - b.line);
  return { captures, stats };
}
