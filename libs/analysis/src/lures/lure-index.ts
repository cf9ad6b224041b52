import type { Lure } from './lure.js';

/**
 * Path → lure kind for the rule field `fd.lure`: the file lures of a run (environment lures have
 * no path). `/var/run` is a link to `/run` in most images, so a lure under one is indexed under both.
 */
export function lureIndex(lures: readonly Lure[] | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const l of lures ?? []) {
    if (!l.location.startsWith('/')) continue;
    out.set(l.location, l.kind);
    if (l.location.startsWith('/var/run/')) out.set(l.location.slice(4), l.kind);
    else if (l.location.startsWith('/run/')) out.set(`/var${l.location}`, l.kind);
  }
  return out;
}
