import { HostSensorProbe, type SensorLine } from './falco.probe.js';

/**
 * Tracee fields the engine cannot rely on: Tracee's syscall events carry pointers for write
 * buffers (no `evt.buffer`), no login uid, and the environment only when exec-env is enabled;
 * capabilities are assumed from the sandbox, not observed.
 */
export const TRACEE_UNAVAILABLE_FIELDS: readonly string[] = ['user.loginuid', 'evt.buffer', 'evt.buflen', 'proc.env'];

/** Ingests Tracee JSON events (legacy trace.Event or v1beta1.Event) for this sandbox's container. */
export class TraceeProbe extends HostSensorProbe {
  readonly name = 'tracee';
  protected readonly envVar = 'TRACEE_EVENTS_FILE';
  readonly unavailableFields: ReadonlySet<string> = new Set(TRACEE_UNAVAILABLE_FIELDS);

  protected inspect(o: Record<string, unknown>): SensorLine {
    const out: SensorLine = {};
    if (typeof o.eventName === 'string') {
      const c = o.container as Record<string, unknown> | undefined;
      const id = typeof o.containerId === 'string' && o.containerId !== '' ? o.containerId : typeof c?.id === 'string' ? c.id : undefined;
      if (id !== undefined) out.containerId = id;
      if (typeof o.hostProcessId === 'number') out.pid = o.hostProcessId;
      return out;
    }
    const w = o.workload as Record<string, Record<string, unknown>> | undefined;
    const id = w?.container?.id;
    if (typeof id === 'string') out.containerId = id;
    const pid = w?.process?.host_pid;
    if (typeof pid === 'number') out.pid = pid;
    return out;
  }
}
