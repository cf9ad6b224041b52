/**
 * A credential lure (honeytoken): a fake credential planted where a real one would be, fresh and
 * unique for one analysis. Reading `location` is credential access; any of `secrets` seen in the
 * simulated network's traffic (plain, base64 or hex) is exfiltration.
 */
export interface Lure {
  /** Stable name used in findings: `aws-env`, `aws-credentials`, `gcp-service-account`, `k8s-token`, `ssh-key`, `docker-config`, `git-credentials`, `npmrc`. */
  kind: string;
  /** Absolute path in the sandbox, or `env:NAME` for an environment variable. */
  location: string;
  /** The secret strings unique to this analysis (never reused). */
  secrets: string[];
}
