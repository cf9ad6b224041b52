import { STATIC_CHECK_IDS } from '#analysis/static/checks';
import { ConfigError } from '#core/config/config';
import type { VerdictCacheEntry } from '#core/storage/analysis.types';

/**
 * Opt-in admission policy on static image checks (docs/static-checks.md): ADMISSION_DENY_STATIC is a
 * comma-separated list of check ids (e.g. `root-user,secret`); an image whose admission verdict is
 * clean but whose analysis found one of them is not cleared (denied in enforce mode, a warning in warn mode).
 */
export function parseDenyStatic(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > STATIC_CHECK_IDS.length) throw new ConfigError('ADMISSION_DENY_STATIC', `lists ${list.length} checks; there are ${STATIC_CHECK_IDS.length}`);
  for (const c of list) {
    if (!STATIC_CHECK_IDS.includes(c)) throw new ConfigError('ADMISSION_DENY_STATIC', `"${c.slice(0, 80)}" is not a static check (${STATIC_CHECK_IDS.join(', ')})`);
  }
  return [...new Set(list)];
}

/** The checks of `deny` that the entry's analysis found. */
export function deniedStatic(entry: Pick<VerdictCacheEntry, 'staticChecks'>, deny: readonly string[]): string[] {
  if (deny.length === 0) return [];
  return (entry.staticChecks ?? []).filter((c) => deny.includes(c));
}
