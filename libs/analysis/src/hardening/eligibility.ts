/**
 * Hardening profiles are offered for `clean` analyses only (docs/hardening.md): a profile from a
 * run that did something bad would allow it, and one from a run that could not see enough
 * (inconclusive) would miss what the service needs.
 */
export interface HardeningRefusal {
  /** `not_finished`: ask again later (409); `not_clean`: never for this analysis (400). */
  reason: 'not_finished' | 'not_clean';
  message: string;
}

export function hardeningRefusal(rec: { id: string; status: string; verdict: string | null }): HardeningRefusal | null {
  if (rec.status === 'queued' || rec.status === 'running') {
    return { reason: 'not_finished', message: `analysis ${rec.id} is ${rec.status}; hardening profiles come from a finished, clean run` };
  }
  if (rec.status === 'rejected') {
    return { reason: 'not_clean', message: `analysis ${rec.id} was rejected by the supply-chain gate: nothing ran, so nothing was observed to harden` };
  }
  if (rec.status !== 'completed') {
    return { reason: 'not_clean', message: `analysis ${rec.id} is ${rec.status}: only a completed, clean run gives a hardening profile` };
  }
  if (rec.verdict !== 'clean') {
    const why = rec.verdict === 'inconclusive'
      ? 'the run could not see enough to call it clean, so a profile from it could miss what the service needs'
      : `a profile from it would allow the behaviour that made it ${rec.verdict ?? 'unscored'}`;
    return { reason: 'not_clean', message: `analysis ${rec.id} is ${rec.verdict ?? 'unscored'}, not clean: ${why}` };
  }
  return null;
}
