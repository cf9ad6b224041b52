/** A started sandbox as probes see it from the host. */
export interface SandboxTarget {
  containerId: string;
  /** Host pid of the container's init (docker-init, or runsc's sandbox process under gVisor). */
  initPid: number;
  /** Host pid of the stopped entrypoint wrapper, when the sandbox was created with `hold`. */
  hostPid?: number;
  /** The wrapper's pid inside the sandbox's pid namespace. */
  vpid?: number;
  uid: number;
  gid: number;
  /**
   * Audit login uid of the held entrypoint (/proc/<pid>/loginuid; 4294967295 = unset), read once:
   * fixed for the sandbox (changing it needs CAP_AUDIT_CONTROL), inherited by every process in it.
   * Absent when the runtime could not read it (no held process on this host).
   */
  loginuid?: number;
  /** The container's cgroup v2 path (from `0::` in /proc/<pid>/cgroup), e.g. `/docker/<id>`. */
  cgroupPath?: string;
  /** The CPU the sample is pinned to, when the spec asked for one. */
  cpu?: number;
}
