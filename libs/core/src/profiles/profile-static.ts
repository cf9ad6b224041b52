import { STATIC_CHECK_IDS } from '#analysis/static/checks';
import { DEFAULT_STATIC_SETTINGS, type StaticSettings } from '#analysis/static/types';
import type { Priority } from '#analysis/rules/types';

const PRIORITIES: readonly Priority[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];
const KNOWN = new Set(['enabled', 'minimal', 'maxSizeMb', 'maxLayers', 'checks', 'weights', 'cap']);

type Fail = (field: string, message: string) => never;

function mapping(v: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be a mapping');
  return v as Record<string, unknown>;
}

function positive(v: unknown, field: string, max: number, fail: Fail): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) fail(field, `must be a number above 0 and at most ${max}, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * A profile's `static:` block (docs/static-checks.md): `enabled`, `minimal`, `maxSizeMb`, `maxLayers`,
 * `checks` (check id → priority or `off`), `weights` (priority → points), `cap` (points together).
 */
export function parseStaticSettings(v: unknown, fail: Fail): StaticSettings {
  if (v === undefined || v === null) return { ...DEFAULT_STATIC_SETTINGS, checks: {}, weights: {} };
  const o = mapping(v, 'static', fail);
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(`static.${k}`, `is not a known field (${[...KNOWN].join(', ')})`);
  for (const k of ['enabled', 'minimal'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') fail(`static.${k}`, 'must be true or false');
  }
  const checks: StaticSettings['checks'] = {};
  if (o.checks !== undefined && o.checks !== null) {
    for (const [id, p] of Object.entries(mapping(o.checks, 'static.checks', fail))) {
      if (!STATIC_CHECK_IDS.includes(id)) fail(`static.checks.${id}`, `is not a static check (${STATIC_CHECK_IDS.join(', ')})`);
      if (typeof p !== 'string' || (p !== 'off' && !(PRIORITIES as readonly string[]).includes(p))) fail(`static.checks.${id}`, `must be a priority (${PRIORITIES.join(', ')}) or off, got ${JSON.stringify(p)}`);
      checks[id] = p as Priority | 'off';
    }
  }
  const weights: StaticSettings['weights'] = {};
  if (o.weights !== undefined && o.weights !== null) {
    for (const [k, w] of Object.entries(mapping(o.weights, 'static.weights', fail))) {
      if (!(PRIORITIES as readonly string[]).includes(k)) fail(`static.weights.${k}`, `is not a priority (${PRIORITIES.join(', ')})`);
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100) fail(`static.weights.${k}`, `must be a number between 0 and 100, got ${JSON.stringify(w)}`);
      weights[k as Priority] = w as number;
    }
  }
  const cap = o.cap === undefined || o.cap === null ? undefined : positive(o.cap, 'static.cap', 100, fail);
  const maxLayers = positive(o.maxLayers, 'static.maxLayers', 1000, fail);
  if (maxLayers !== undefined && !Number.isInteger(maxLayers)) fail('static.maxLayers', 'must be a whole number');
  return {
    enabled: (o.enabled as boolean | undefined) ?? true,
    minimal: (o.minimal as boolean | undefined) ?? false,
    maxSizeMb: positive(o.maxSizeMb, 'static.maxSizeMb', 1024 * 1024, fail),
    maxLayers,
    checks,
    weights,
    ...(cap !== undefined ? { cap } : {}),
  };
}
