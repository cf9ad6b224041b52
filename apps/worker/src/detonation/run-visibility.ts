import type { ProbeVisibility } from '#analysis';
import type { SandboxTarget } from '#sandbox/sandbox-runtime';
import { SANDBOX_SUPPLIED_FIELDS } from '#sandbox/probes/probe-fields';

/**
 * What this run can see: the probe's visibility, plus the sandbox-supplied fields the runtime
 * could not read for this sandbox (the login uid, when the target carries none).
 */
export function runVisibility(probe: ProbeVisibility, target: Pick<SandboxTarget, 'loginuid'> | undefined): ProbeVisibility {
  if (target?.loginuid !== undefined) return probe;
  const missing = SANDBOX_SUPPLIED_FIELDS.filter((f) => !probe.unavailableFields.has(f));
  if (missing.length === 0) return probe;
  return { ...(probe.eventTypes ? { eventTypes: probe.eventTypes } : {}), unavailableFields: new Set([...probe.unavailableFields, ...missing]) };
}
