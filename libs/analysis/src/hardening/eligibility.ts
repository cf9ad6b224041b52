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

/** The parts of a report that say whether the run saw the service serve. */
export interface ServingFacts {
  stimulation?: { skipped?: string; ports?: { port?: number; source?: string; kind?: string }[] } | null;
}

/**
 * A run that did not see the image serve has not seen what serving needs: a port it exposes was never
 * listened on (still starting when the window closed), or stimulation's requests to a listening port
 * failed (not answering yet). A profile from it misses accept, the socket options, the workers' calls
 * and would break the service (measured: apache under a profile from a run that never accepted a
 * connection dies in `apr_socket_accept: Operation not permitted` and respawns its children), so none
 * is offered; a longer window helps (docs/hardening.md). Null when every port stimulation found was
 * served, or when nothing tells (no ports, stimulation off or impossible).
 */
export function servingRefusal(report: ServingFacts): string | null {
  const ports = report.stimulation?.ports ?? [];
  const silent = ports.filter((p) => p.kind === 'not-listening' && typeof p.port === 'number').map((p) => p.port as number);
  const failed = ports.filter((p) => p.kind === 'error' && typeof p.port === 'number').map((p) => p.port as number);
  if (silent.length === 0 && failed.length === 0) return null;
  const parts: string[] = [];
  if (silent.length) parts.push(`never saw the image listen on its exposed port${silent.length > 1 ? 's' : ''} ${silent.slice(0, 8).join(', ')}`);
  if (failed.length) parts.push(`never got an answer on port${failed.length > 1 ? 's' : ''} ${failed.slice(0, 8).join(', ')}`);
  return `the run ${parts.join(' and ')}: it had not started serving when the window closed, so a profile from it would miss what serving needs (run it again with a longer window)`;
}

/**
 * For a seccomp profile: a port stimulation connected to was served by a process that accepted the
 * connection, so `accept`/`accept4` is in the trace. A connection the kernel completed from the
 * listen backlog (a non-HTTP port, `kind: tcp`) proves nothing by itself; without an accept in the
 * trace the service never took a connection during the run, and a profile from it would break it.
 */
export function acceptRefusal(report: ServingFacts, names: readonly string[]): string | null {
  const reached = (report.stimulation?.ports ?? []).filter((p) => (p.kind === 'http' || p.kind === 'tcp') && typeof p.port === 'number').map((p) => p.port as number);
  if (reached.length === 0 || names.includes('accept') || names.includes('accept4')) return null;
  return `stimulation connected to port ${reached.slice(0, 8).join(', ')} but the trace has no accept: the service never took a connection during the run, so a profile from it would miss what serving needs (run it again with a longer window)`;
}

