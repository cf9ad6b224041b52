/**
 * Secrets in an image's config (CIS 4.10): ENV values, labels and build history (`created_by`).
 * Plain bounded scanning, no regular expressions: every string is cut at MAX_SCAN_CHARS and split
 * into tokens once, and each token is tested with prefix and character-class checks (linear time).
 *
 * Two levels:
 *  - `secret` (error): a well-known key format (AWS access key id AKIA…/ASIA…, GitHub `ghp_`…,
 *    `github_pat_`, Slack `xox?-`, Slack webhook URL, a PEM private key, a GCP service-account JSON,
 *    credentials in a URL with a random-looking password), or a random-looking value assigned to a
 *    secret-named key (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, …; an AWS secret key).
 *  - `possible-secret` (warning): a secret-named key with a plain, word-like value (a baked-in
 *    default password such as `POSTGRES_PASSWORD=example`), or a long high-entropy token under a
 *    neutral name.
 * Not secrets: references (`$VAR`), paths, `*_FILE`/`*_PATH`/`*_URL`… keys, placeholders, numbers,
 * hex strings (hashes, checksums, git revisions, GPG fingerprints), `sha256:` digests, UUIDs.
 * Findings never carry a value: only its first 4 characters and its length.
 */

export const MAX_SCAN_CHARS = 64 * 1024;
/** Strings examined per image (env + labels + history). */
export const MAX_STRINGS = 2000;
/** Characters examined per image, all strings together (bounds the worker's CPU on a hostile config). */
export const MAX_TOTAL_CHARS = 4 * 1024 * 1024;

export type SecretLevel = 'secret' | 'possible-secret';

export interface SecretHit {
  level: SecretLevel;
  /** Where: `ENV NAME`, `LABEL name`, `history[3]`. */
  where: string;
  /** What kind: `AWS access key id`, `GitHub token`, `password-like assignment`, … */
  kind: string;
  /** First 4 characters and the length, never the value. */
  redacted: string;
}

/** `abcd… (40 chars)`: enough to find the value, never enough to use it. */
export function redact(value: string): string {
  return `${[...value].slice(0, 4).join('')}… (${value.length} chars)`;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = s.length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isUpper(c) || isLower(c) || isDigit(c);
}

function all(s: string, from: number, pred: (c: number) => boolean): boolean {
  for (let i = from; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false;
  return true;
}

function isHex(s: string): boolean {
  return s.length > 0 && all(s, 0, (c) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70));
}

/** 8-4-4-4-12 hex. */
function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!(isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** How many of upper-case, lower-case and digits occur. */
function alnumClasses(s: string): number {
  let u = 0;
  let l = 0;
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isUpper(c)) u = 1;
    else if (isLower(c)) l = 1;
    else if (isDigit(c)) d = 1;
  }
  return u + l + d;
}

function charClasses(s: string): number {
  let u = 0;
  let l = 0;
  let d = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isUpper(c)) u = 1;
    else if (isLower(c)) l = 1;
    else if (isDigit(c)) d = 1;
    else o = 1;
  }
  return u + l + d + o;
}

/** A value that looks machine-generated: long enough, mixed character classes, high entropy, not a hash. */
export function looksRandom(v: string, minLength = 16, minEntropy = 3.5): boolean {
  if (v.length < minLength) return false;
  if (isHex(v) || isUuid(v)) return false;
  // Word-like values (one case of letters with separators, like `quarantine-sample`) are chosen, not generated.
  if (alnumClasses(v) < 2) return false;
  let letters = 0;
  let digits = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (isUpper(c) || isLower(c)) letters++;
    else if (isDigit(c)) digits++;
  }
  if (letters + digits < v.length * 0.7) return false;
  return shannonEntropy(v) >= minEntropy;
}

/** Neutral-name tokens must be longer and more random (truffleHog's base64 threshold is 4.5 on ≥ 20 chars). */
function highEntropyToken(t: string): boolean {
  if (t.length < 24 || t.length > 4096) return false;
  if (t.includes('/') && (t.startsWith('/') || t.includes('://') || t.startsWith('./'))) return false;
  if (t.includes('.') && !t.includes('/') && t.split('.').every((p) => p.length < 24)) return false; // dotted names, versions, hosts
  if (t.startsWith('sha256:') || t.startsWith('sha512:') || t.startsWith('file:') || t.startsWith('dir:')) return false;
  if (isHex(t) || isUuid(t)) return false;
  if (charClasses(t) < 3) return false;
  return shannonEntropy(t) >= 4.5;
}

const SECRET_WORDS = ['PASSWORD', 'PASSWD', 'PASSPHRASE', 'SECRET', 'TOKEN', 'APIKEY', 'API_KEY', 'ACCESS_KEY', 'PRIVATE_KEY', 'CREDENTIAL', 'AUTH_KEY', 'CLIENT_KEY', 'SIGNING_KEY', 'ENCRYPTION_KEY', 'MASTER_KEY'];
/** Key suffixes that name something about a secret, not the secret. */
const NOT_SECRET_SUFFIXES = ['_FILE', '_PATH', '_DIR', '_URL', '_URI', '_ENDPOINT', '_HOST', '_PORT', '_USER', '_USERNAME', '_NAME', '_LENGTH', '_LEN', '_TTL', '_EXPIRY', '_EXPIRES', '_TIMEOUT', '_ENABLED', '_TYPE', '_ALGORITHM', '_HEADER', '_ID', '_REGION', '_VERSION', '_MIN', '_MAX', '_POLICY', '_PROVIDER', '_FORMAT', '_MODE'];
const PLACEHOLDERS = new Set(['changeme', 'change-me', 'change_me', 'password', 'secret', 'example', 'dummy', 'none', 'null', 'nil', 'true', 'false', 'yes', 'no', 'redacted', 'xxx', 'xxxx', 'todo', 'tbd', 'default', 'empty', 'unset', 'placeholder']);

/** `DB_PASSWORD`, `github.token`, `apiKey` → true; `PASSWORD_FILE`, `TOKEN_URL` → false. */
export function isSecretName(name: string): boolean {
  const n = name.toUpperCase().replace(/[.-]/g, '_');
  const compact = n.replace(/_/g, '');
  if (n === 'PWD' || n === 'OLDPWD') return false; // the shell's working directory
  if (NOT_SECRET_SUFFIXES.some((s) => n.endsWith(s))) return false;
  if (n.endsWith('_PWD') || n.endsWith('_PASS') || n === 'PASS') return true;
  return SECRET_WORDS.some((w) => n.includes(w) || compact.includes(w.replace(/_/g, '')));
}

function strip(v: string): string {
  let s = v.trim();
  while (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) s = s.slice(1, -1).trim();
  return s;
}

/** A value that is not a secret whatever its name says. */
export function notASecretValue(v: string): boolean {
  if (v.length === 0) return true;
  if (v.startsWith('$') || v.startsWith('%') || v.startsWith('{{')) return true;
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('~/') || v.startsWith('file:')) return true;
  if (v.startsWith('<') && v.endsWith('>')) return true;
  const lower = v.toLowerCase();
  if (PLACEHOLDERS.has(lower)) return true;
  if (/^[*x.\-_]+$/i.test(v)) return true; // masks like ***** or xxxx (a bounded character class: linear)
  if (all(v, 0, isDigit)) return true;
  return false;
}

function awsKeyId(t: string): boolean {
  if (t.length !== 20) return false;
  const p = t.slice(0, 4);
  if (p !== 'AKIA' && p !== 'ASIA') return false;
  if (t.endsWith('EXAMPLE')) return false; // AWS's documented example key
  return all(t, 4, (c) => isUpper(c) || (c >= 50 && c <= 55)); // base32: A–Z, 2–7
}

function githubToken(t: string): boolean {
  for (const p of ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_']) {
    if (t.startsWith(p)) return t.length >= 40 && t.length <= 255 && all(t, 4, isAlnum);
  }
  if (t.startsWith('github_pat_')) return t.length >= 40 && all(t, 11, (c) => isAlnum(c) || c === 95);
  return false;
}

function slackToken(t: string): boolean {
  if (t.length < 15 || !t.startsWith('xox') || t.charCodeAt(4) !== 45) return false;
  if (!'abposre'.includes(t[3])) return false;
  return all(t, 5, (c) => isAlnum(c) || c === 45);
}

/** Known key formats in one token; the kind, or undefined. */
export function knownTokenKind(t: string): string | undefined {
  if (awsKeyId(t)) return 'AWS access key id';
  if (githubToken(t)) return 'GitHub token';
  if (slackToken(t)) return 'Slack token';
  if (t.includes('hooks.slack.com/services/')) return 'Slack webhook URL';
  return undefined;
}

const PEM_PRIVATE = ['PRIVATE KEY-----', 'PRIVATE KEY BLOCK-----'];

/** Whole-string formats: PEM private keys, GCP service-account JSON. */
function wholeStringKind(s: string): { kind: string; at: number } | undefined {
  const begin = s.indexOf('-----BEGIN ');
  if (begin >= 0) {
    const end = s.indexOf('-----', begin + 11);
    const header = end >= 0 ? s.slice(begin, end + 5) : '';
    if (header.length < 80 && PEM_PRIVATE.some((p) => header.endsWith(p))) return { kind: 'PEM private key', at: begin };
  }
  const sa = s.indexOf('service_account');
  if (sa >= 0 && s.includes('"type"') && s.includes('private_key')) return { kind: 'GCP service account key (JSON)', at: sa };
  return undefined;
}

const DELIMS = new Set([' ', '\t', '\n', '\r', '"', "'", '`', ',', ';', '&', '|', '(', ')', '<', '>', '{', '}', '[', ']', '\\']);

/** Splits on shell/JSON punctuation and whitespace (one pass). */
export function tokens(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (DELIMS.has(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** `scheme://user:password@host`: the password, if any. */
function urlPassword(t: string): string | undefined {
  const scheme = t.indexOf('://');
  if (scheme < 0) return undefined;
  const at = t.indexOf('@', scheme + 3);
  if (at < 0) return undefined;
  const slash = t.indexOf('/', scheme + 3);
  if (slash >= 0 && slash < at) return undefined;
  const userinfo = t.slice(scheme + 3, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? undefined : userinfo.slice(colon + 1);
}

/** One `name=value` (or an ENV entry): what, if anything, it leaks. */
function assignment(name: string, rawValue: string, where: string, out: SecretHit[]): boolean {
  const value = strip(rawValue);
  if (!isSecretName(name) || notASecretValue(value)) return false;
  const known = knownTokenKind(value);
  if (known) {
    out.push({ level: 'secret', where, kind: known, redacted: redact(value) });
    return true;
  }
  const aws = name.toUpperCase().includes('AWS') && name.toUpperCase().includes('SECRET') && value.length === 40;
  const shown = name.slice(0, 80);
  if (aws || looksRandom(value)) out.push({ level: 'secret', where, kind: aws ? 'AWS secret access key' : `random-looking value of ${shown}`, redacted: redact(value) });
  else out.push({ level: 'possible-secret', where, kind: `password-like assignment to ${shown}`, redacted: redact(value) });
  return true;
}

/**
 * Scans one string: known formats anywhere, `name=value` assignments of secret-named keys, URL
 * credentials, `Bearer <token>`, and (unless `namedOnly`) long high-entropy tokens.
 */
export function scanText(text: string, where: string, out: SecretHit[], opts: { namedOnly?: boolean } = {}): void {
  const s = text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text;
  const whole = wholeStringKind(s);
  if (whole) out.push({ level: 'secret', where, kind: whole.kind, redacted: redact(s.slice(whole.at, whole.at + 40)) });
  const ts = tokens(s);
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const known = knownTokenKind(t);
    if (known) {
      out.push({ level: 'secret', where, kind: known, redacted: redact(t) });
      continue;
    }
    const eq = t.indexOf('=');
    if (eq > 0) {
      const name = t.slice(0, eq).replace(/^-+/, '');
      const value = t.slice(eq + 1) || (ts[i + 1] !== undefined && t.endsWith('=') ? ts[i + 1] : '');
      const k = knownTokenKind(value);
      if (k) {
        out.push({ level: 'secret', where, kind: k, redacted: redact(value) });
        continue;
      }
      if (assignment(name, value, where, out)) continue;
    }
    if (t.startsWith('--') && isSecretName(t.slice(2)) && ts[i + 1] !== undefined && !ts[i + 1].startsWith('-')) {
      if (assignment(t.slice(2), ts[i + 1], where, out)) {
        i++;
        continue;
      }
    }
    if (t === 'Bearer' && ts[i + 1] !== undefined && ts[i + 1].length >= 16 && !notASecretValue(ts[i + 1])) {
      const k = knownTokenKind(ts[i + 1]);
      out.push({ level: k || looksRandom(ts[i + 1]) ? 'secret' : 'possible-secret', where, kind: k ?? 'bearer token', redacted: redact(ts[i + 1]) });
      i++;
      continue;
    }
    const pw = urlPassword(t);
    if (pw !== undefined && !notASecretValue(pw)) {
      out.push({ level: looksRandom(pw, 12) ? 'secret' : 'possible-secret', where, kind: 'credentials in a URL', redacted: redact(pw) });
      continue;
    }
    if (!opts.namedOnly) {
      const value = eq > 0 ? t.slice(eq + 1) : t;
      if (highEntropyToken(value)) out.push({ level: 'possible-secret', where, kind: 'high-entropy value', redacted: redact(value) });
    }
  }
}

/** Env keys whose values are lists of paths or locale data, never secrets. */
const ENV_SKIP = new Set(['PATH', 'LD_LIBRARY_PATH', 'MANPATH', 'PYTHONPATH', 'NODE_PATH', 'CLASSPATH', 'GOPATH', 'PKG_CONFIG_PATH', 'LANG', 'LC_ALL', 'TERM', 'HOME', 'SHELL']);
/** Label keys that carry hashes or signatures by design (revision, digest, checksum). */
function hashLabel(key: string): boolean {
  const k = key.toLowerCase();
  return k.endsWith('.revision') || k.endsWith('.digest') || k.endsWith('.checksum') || k.includes('sha256') || k.includes('sha1') || k.endsWith('.commit') || k.endsWith('.signature') || k.endsWith('.fingerprint');
}

/** Scans an image's ENV, labels and history; at most MAX_STRINGS strings, each at most MAX_SCAN_CHARS. */
export function findSecrets(input: { env: readonly string[]; labels: Readonly<Record<string, string>>; history: readonly { createdBy: string }[] }): SecretHit[] {
  const out: SecretHit[] = [];
  let budget = MAX_STRINGS;
  let chars = MAX_TOTAL_CHARS;
  const spend = (s: string): boolean => {
    if (budget-- <= 0 || chars <= 0) return false;
    chars -= Math.min(s.length, MAX_SCAN_CHARS);
    return true;
  };
  for (const e of input.env) {
    if (!spend(e)) break;
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    const value = eq < 0 ? '' : e.slice(eq + 1);
    if (ENV_SKIP.has(name)) continue;
    const where = `ENV ${name.slice(0, 80)}`;
    const before = out.length;
    const v = value.length > MAX_SCAN_CHARS ? value.slice(0, MAX_SCAN_CHARS) : value;
    const whole = wholeStringKind(v);
    if (whole) {
      out.push({ level: 'secret', where, kind: whole.kind, redacted: redact(v.slice(whole.at, whole.at + 40)) });
      continue;
    }
    const known = knownTokenKind(strip(v));
    if (known) {
      out.push({ level: 'secret', where, kind: known, redacted: redact(strip(v)) });
      continue;
    }
    if (assignment(name, v, where, out)) continue;
    if (out.length === before) scanText(v, where, out);
  }
  for (const [k, v] of Object.entries(input.labels)) {
    if (!spend(v)) break;
    if (hashLabel(k)) continue;
    const where = `LABEL ${k.slice(0, 80)}`;
    if (isSecretName(k) && assignment(k, v, where, out)) continue;
    scanText(v, where, out);
  }
  input.history.forEach((h, i) => {
    if (!spend(h.createdBy)) return;
    // `ADD file:<sha> in /` and `COPY dir:<sha>` are checksums, and #(nop) lines are metadata; both are scanned for named secrets only.
    scanText(h.createdBy, `history[${i}]`, out, { namedOnly: false });
  });
  return dedupe(out);
}

function dedupe(hits: SecretHit[]): SecretHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const k = `${h.level}\0${h.where}\0${h.kind}\0${h.redacted}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
