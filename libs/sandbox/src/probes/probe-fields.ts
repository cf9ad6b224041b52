import type { ProbeName } from '#core/profiles/probes';
import { TRACEPOINT_UNAVAILABLE_FIELDS } from '#analysis/probes/tracepoint-events';
import { FALCO_UNAVAILABLE_FIELDS } from './falco.probe.js';
import { TRACEE_UNAVAILABLE_FIELDS } from './tracee.probe.js';

/**
 * Fields the sandbox supplies whatever the probe: `user.loginuid` is fixed for a sandbox (changing
 * it needs CAP_AUDIT_CONTROL, which no profile grants), so the runtime reads it once from the held
 * entrypoint (`SandboxTarget.loginuid`) and the tracker gives it to every process descended from it.
 * A run whose runtime could not read it (gVisor: no held process on the host; a remote node) reports
 * it unavailable for that run (apps/worker run-visibility.ts).
 */
export const SANDBOX_SUPPLIED_FIELDS: readonly string[] = ['user.loginuid'];

/**
 * Rule fields each probe cannot supply: the one list the probes declare (`Probe.unavailableFields`)
 * and docs/probes.md shows; a rule needing one is reported as not evaluated (probe-blind) for the
 * run. Truncation is per event, not per field: see libs/analysis/src/rules/truncation.ts.
 * - strace, ebpf: every field (ebpf sees only the syscalls of its table: `eventTypes`);
 * - gvisor: not the login uid (the sandbox runs under runsc, with no held process to read it from);
 * - perf, ftrace: syscall tracepoints without string or struct arguments (TRACEPOINT_UNAVAILABLE_FIELDS);
 * - falco, tracee: what their alert / event streams do not carry, loginuid included (processes are
 *   not rooted in the held entrypoint the sandbox read it from).
 */
export const PROBE_UNAVAILABLE_FIELDS: Readonly<Record<ProbeName, readonly string[]>> = {
  strace: [],
  ebpf: [],
  gvisor: ['user.loginuid'],
  perf: TRACEPOINT_UNAVAILABLE_FIELDS,
  ftrace: TRACEPOINT_UNAVAILABLE_FIELDS,
  falco: FALCO_UNAVAILABLE_FIELDS,
  tracee: TRACEE_UNAVAILABLE_FIELDS,
};
