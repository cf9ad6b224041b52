/**
 * Does a DNS name look machine-generated (DGA-like)? A linear-time shape heuristic over the
 * longest label below the public suffix: long, few vowels or long consonant runs, digits mixed
 * into letters, high character entropy. One random-looking name means little (CDNs use hashed
 * host names); many distinct ones in one run is the signal (the rule's threshold is per run).
 */
const VOWELS = new Set('aeiouy'.split('').map((c) => c.charCodeAt(0)));
/** Second-level labels under which registrable names sit one label lower (co.uk, com.au, …). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go']);

export interface NameShape {
  /** The label judged (lower-cased). */
  label: string;
  entropy: number;
  random: boolean;
}

/** The label a DGA generates: the longest one below the suffix (e.g. `xkqzvbtwpl` in `www.xkqzvbtwpl.info`). */
export function mainLabel(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l !== '');
  if (labels.length === 0) return '';
  let end = labels.length - 1; // drop the TLD
  if (end >= 2 && SECOND_LEVEL.has(labels[end - 1]!)) end--;
  if (end === 0) return labels[0]!;
  let best = '';
  for (let i = 0; i < end; i++) if (labels[i]!.length > best.length) best = labels[i]!;
  return best;
}

export function nameShape(name: string): NameShape {
  const label = mainLabel(name.length > 253 ? name.slice(0, 253) : name);
  const n = label.length;
  const counts = new Map<number, number>();
  let vowels = 0;
  let digits = 0;
  let letters = 0;
  let run = 0;
  let maxRun = 0;
  let transitions = 0;
  let prevDigit: boolean | undefined;
  for (let i = 0; i < n; i++) {
    const c = label.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
    const isDigit = c >= 48 && c <= 57;
    const isLetter = c >= 97 && c <= 122;
    if (isDigit) digits++;
    if (isLetter) letters++;
    if (isLetter && VOWELS.has(c)) vowels++;
    if (isLetter && !VOWELS.has(c)) {
      run++;
      if (run > maxRun) maxRun = run;
    } else run = 0;
    if (isDigit || isLetter) {
      if (prevDigit !== undefined && prevDigit !== isDigit) transitions++;
      prevDigit = isDigit;
    }
  }
  let entropy = 0;
  for (const k of counts.values()) {
    const p = k / n;
    entropy -= p * Math.log2(p);
  }
  let score = 0;
  if (n >= 8) {
    if (letters > 0 && vowels / letters < 0.22) score++;
    if (maxRun >= 5) score++;
    if (digits > 0 && letters > 0 && transitions >= 3) score++;
    if (entropy >= 3.3) score++;
    if (n >= 16 && entropy >= 3.6) score++;
  }
  return { label, entropy, random: score >= 2 };
}

/**
 * The registrable part of a host name: its last two labels, or three under a second-level
 * suffix such as co.uk (`pool.supportxmr.com` → `supportxmr.com`, `a.b.co.uk` → `b.co.uk`).
 * <undefined> for IP literals and single labels.
 */
export function registrableDomain(host: string): string | undefined {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return undefined;
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  h = h.replace(/\.$/, '');
  if (h === '' || /^[0-9.]+$/.test(h) || h.includes(':')) return undefined;
  const labels = h.split('.');
  if (labels.length < 2) return undefined;
  const n = labels.length >= 3 && labels[labels.length - 1]!.length === 2 && SECOND_LEVEL.has(labels[labels.length - 2]!) ? 3 : 2;
  return labels.slice(-n).join('.');
}
