/**
 * Probes Quarantine knows, and the runtime each one needs: host-side tracers (strace, eBPF, perf,
 * ftrace, and host sensors like Falco and Tracee) watch runc containers; gVisor's own syscall log
 * needs the sample to run under runsc.
 */
export type ProbeName = 'strace' | 'gvisor' | 'ebpf' | 'perf' | 'ftrace' | 'falco' | 'tracee';
export type RuntimeName = 'runc' | 'runsc' | 'kubernetes';

export const PROBE_RUNTIME: Readonly<Record<ProbeName, Exclude<RuntimeName, 'kubernetes'>>> = {
  strace: 'runc',
  gvisor: 'runsc',
  ebpf: 'runc',
  perf: 'runc',
  ftrace: 'runc',
  falco: 'runc',
  tracee: 'runc',
};

/** Probes this build can run (a probe is listed here once its implementation and tests land). */
export const PROBES: readonly ProbeName[] = ['strace', 'falco', 'tracee', 'gvisor', 'ebpf', 'perf', 'ftrace'];
export const RUNTIMES: readonly RuntimeName[] = ['runc', 'runsc', 'kubernetes'];

/**
 * Probes a `runtime: kubernetes` profile can use: strace as a native sidecar in the sample's pod,
 * Falco and Tracee as DaemonSets whose logs are read through the API.
 */
export const KUBERNETES_PROBES: readonly ProbeName[] = ['strace', 'falco', 'tracee'];
