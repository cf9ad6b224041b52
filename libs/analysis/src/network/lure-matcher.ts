/**
 * Finds credential-lure secrets in captured traffic: as sent, hex (either case), base64 and
 * base64url (each at the three byte alignments a secret can have inside a longer encoded message),
 * and percent-encoded (the haystack is also searched percent-decoded). One Aho–Corasick automaton
 * for all lures and encodings; each haystack is scanned once (twice when it holds a `%`).
 */
import type { Lure } from '../lures/lure.js';
import { ByteAhoCorasick } from './aho-corasick.js';

export type LureEncoding = 'plain' | 'hex' | 'base64' | 'base64url' | 'url';

export interface LurePattern {
  lure: number;
  encoding: LureEncoding;
}

export interface LureHit {
  kind: string;
  location: string;
  /** How the secret appeared. */
  encoding: LureEncoding;
  /** Where in the exchange: `dns`, `url`, `header:<name>`, `body`, `sni`, `bytes`. */
  where: string;
}

/** Shorter secrets (or encoded fragments) would match by chance. */
export const MIN_SECRET_BYTES = 8;
export const MAX_SECRETS = 256;
const MAX_SECRET_BYTES = 16 * 1024;

/** The part of base64(pad(k) + secret) that depends on the secret's bytes only. */
function base64Core(secret: Buffer, k: number, url: boolean): string {
  const enc = Buffer.concat([Buffer.alloc(k), secret]).toString(url ? 'base64url' : 'base64');
  const from = Math.ceil((8 * k) / 6);
  const to = Math.floor((8 * (k + secret.length)) / 6);
  return enc.slice(from, to);
}

export class LureMatcher {
  /** Built on the first scan: most runs send nothing, and the automaton over every encoding of every secret costs tens of ms. */
  private acBuilt?: ByteAhoCorasick<LurePattern>;
  private readonly patterns: { bytes: Uint8Array; data: LurePattern }[];
  readonly lures: readonly Lure[];
  /** Secrets left out (too short, too long, or over the cap). */
  readonly skipped: number;

  constructor(lures: readonly Lure[]) {
    this.lures = lures;
    const patterns: { bytes: Uint8Array; data: LurePattern }[] = [];
    const seen = new Set<string>();
    let skipped = 0;
    let count = 0;
    const add = (s: string, lure: number, encoding: LureEncoding, binary = false) => {
      if (s.length < MIN_SECRET_BYTES) return;
      const key = `${lure}\u0000${s}`;
      if (seen.has(key)) return;
      seen.add(key);
      patterns.push({ bytes: Buffer.from(s, binary ? 'latin1' : 'utf8'), data: { lure, encoding } });
    };
    lures.forEach((l, i) => {
      for (const secret of Array.isArray(l.secrets) ? l.secrets : []) {
        if (typeof secret !== 'string') continue;
        const raw = Buffer.from(secret, 'utf8');
        if (raw.length < MIN_SECRET_BYTES || raw.length > MAX_SECRET_BYTES || count >= MAX_SECRETS) {
          skipped++;
          continue;
        }
        count++;
        add(raw.toString('latin1'), i, 'plain', true);
        add(raw.toString('hex'), i, 'hex');
        add(raw.toString('hex').toUpperCase(), i, 'hex');
        for (let k = 0; k < 3; k++) {
          add(base64Core(raw, k, false), i, 'base64');
          add(base64Core(raw, k, true), i, 'base64url');
        }
      }
    });
    this.skipped = skipped;
    this.patterns = patterns;
  }

  private get ac(): ByteAhoCorasick<LurePattern> {
    this.acBuilt ??= new ByteAhoCorasick(this.patterns);
    return this.acBuilt;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /**
   * Lures found in `data`, each (lure, encoding) once, appended to `hits`. `where` names the part
   * of the exchange. Percent-encoded text is searched decoded as well.
   */
  scan(data: Uint8Array, where: string, hits: LureHit[], seen: Set<string>, maxHits = 32): void {
    if (this.patterns.length === 0 || data.length === 0) return;
    const one = (buf: Uint8Array, decoded: boolean) =>
      this.ac.scan(buf, (p) => {
        const encoding: LureEncoding = decoded && p.encoding === 'plain' ? 'url' : p.encoding;
        const key = `${p.lure}|${encoding}|${where}`;
        if (!seen.has(key)) {
          seen.add(key);
          const l = this.lures[p.lure]!;
          hits.push({ kind: String(l.kind), location: String(l.location), encoding, where });
        }
        return hits.length < maxHits;
      });
    one(data, false);
    if (data.indexOf(0x25) >= 0 && hits.length < maxHits) {
      const dec = percentDecode(data);
      if (dec.length !== data.length) one(dec, true);
    }
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** `%XX` → byte and `+` → space (form encoding); anything else is kept. Linear. */
export function percentDecode(data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(data.length);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x25 && i + 2 < data.length) {
      const h = hexVal(data[i + 1]!);
      const l = hexVal(data[i + 2]!);
      if (h >= 0 && l >= 0) {
        out[j++] = h * 16 + l;
        i += 2;
        continue;
      }
    }
    out[j++] = c === 0x2b ? 0x20 : c;
  }
  return out.subarray(0, j);
}
