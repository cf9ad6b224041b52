/**
 * `app=web,tier=front` → matchLabels, validated as Kubernetes label syntax (equality terms only:
 * a generated policy selects pods by labels the platform engineer names). Linear, bounded.
 */

export const MAX_SELECTOR_LENGTH = 1024;
export const MAX_SELECTOR_TERMS = 16;

export class SelectorError extends Error {}

// Kubernetes label key: optional DNS-subdomain prefix (≤ 253) + '/' + name (≤ 63, alnum ends, [-_.] inside).
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && PREFIX.test(prefix) && NAME.test(key.slice(slash + 1));
}

export function isLabelValue(v: string): boolean {
  return v.length <= 63 && VALUE.test(v);
}

/** Parses `k=v,k2=v2` (also `k==v`); throws SelectorError naming the bad term. Empty → {} (all pods of the namespace). */
export function parseSelector(text: string): Record<string, string> {
  if (text.length > MAX_SELECTOR_LENGTH) throw new SelectorError(`must be at most ${MAX_SELECTOR_LENGTH} characters`);
  const out: Record<string, string> = {};
  if (text.trim() === '') return out;
  const terms = text.split(',');
  if (terms.length > MAX_SELECTOR_TERMS) throw new SelectorError(`must have at most ${MAX_SELECTOR_TERMS} terms`);
  for (const raw of terms) {
    const term = raw.trim();
    const eq = term.indexOf('=');
    if (eq <= 0) throw new SelectorError(`term "${term.slice(0, 80)}" is not key=value`);
    const key = term.slice(0, eq).trim();
    const value = term.slice(term[eq + 1] === '=' ? eq + 2 : eq + 1).trim();
    if (key.endsWith('!')) throw new SelectorError(`term "${term.slice(0, 80)}": only equality (key=value) is supported`);
    if (!isLabelKey(key)) throw new SelectorError(`"${key.slice(0, 80)}" is not a valid label key`);
    if (!isLabelValue(value)) throw new SelectorError(`"${value.slice(0, 80)}" is not a valid label value for ${key}`);
    if (Object.hasOwn(out, key)) throw new SelectorError(`label ${key} is given twice`);
    out[key] = value;
  }
  return out;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 subdomain, ≤ 253) or namespace (DNS-1123 label, ≤ 63). */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && PREFIX.test(s);
}

export function isDnsLabel(s: string): boolean {
  return DNS_LABEL.test(s);
}
