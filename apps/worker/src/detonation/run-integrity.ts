import type { SandboxObservation, TraceHealth } from '#analysis';
import type { ProbeStats } from '#sandbox/probes/probe';
import type { SandboxExit } from '#sandbox/sandbox-runtime';

/** The reason an `inconclusive` verdict gives for a sample still only sleeping when the window closed. */
export const DORMANT_REASON = 'dormant at window end';

/**
 * Run integrity (docs/run-integrity.md): what the sandbox observed about the run itself, as
 * observations rules can match (`window_extended`, `dormant_at_window_end`; the trace budget's
 * `trace_budget_exceeded` is added with the other sandbox observations) and as trace health for
 * the scorer (budget exhausted or dormant ⇒ inconclusive unless already malicious).
 */
export function integrityObservations(exit: SandboxExit, nowNs: number): SandboxObservation[] {
  const out: SandboxObservation[] = [];
  const w = exit.window;
  if (w && w.extendedMs > 0) out.push({ type: 'window_extended', ts: nowNs, detail: `+${(w.extendedMs / 1000).toFixed(1)} s past the ${w.windowSeconds} s window while the sample only slept (max ${w.maxWindowSeconds} s)` });
  if (exit.windowExpired && w?.dormant) out.push({ type: 'dormant_at_window_end', ts: nowNs, detail: w.detail });
  return out;
}

/**
 * `parserDetail`: without a host view of the sample's tasks (gVisor) dormancy is judged on the
 * trace: when the window ended with every syscall still in progress a sleep, the sample only slept.
 */
export function integrityHealth(exit: SandboxExit, probe: ProbeStats, parserDetail: Record<string, number> = {}): Pick<TraceHealth, 'budgetExceeded' | 'dormant'> {
  const w = exit.window;
  let dormant: string | undefined;
  if (exit.windowExpired && w?.dormant) dormant = `${DORMANT_REASON} (${w.detail})`;
  else if (exit.windowExpired && w?.activity === 'undetermined') {
    const pending = parserDetail.blockedWhenEnded ?? 0;
    const asleep = parserDetail.asleepWhenEnded ?? 0;
    if (pending > 0 && asleep === pending) dormant = `${DORMANT_REASON} (${w.detail}; every one of the ${pending} syscall(s) in progress when the window ended was a sleep)`;
  }
  return { budgetExceeded: probe.budgetExceeded || exit.budgetExceeded, dormant };
}
