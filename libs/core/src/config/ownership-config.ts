/**
 * Ownership, quotas and audit settings (docs/security.md "Roles and ownership"). Validated at boot
 * like the rest of the configuration: an invalid value stops the process naming the variable.
 */
export interface OwnershipConfig {
  /** WATCH_MIN_INTERVAL_SECONDS: a watch may not fire more often than this (default 300 = 5 min). */
  watchMinIntervalSeconds: number;
  /** QUOTA_ANALYST_ACTIVE: queued + running analyses one analyst key may own (default 50). */
  analystActiveQuota: number;
  /** QUOTA_ADMIN_ACTIVE: the same for admin keys; 0 = unlimited (the default). */
  adminActiveQuota: number;
  /** AUDIT_RETENTION_DAYS: audit entries older than this are trimmed from the stream (default 365). */
  auditRetentionDays: number;
}

type Env = Record<string, string | undefined>;
type Int = (env: Env, name: string, def: number, min: number, max: number) => number;

export function loadOwnershipConfig(env: Env, int: Int): OwnershipConfig {
  return {
    watchMinIntervalSeconds: int(env, 'WATCH_MIN_INTERVAL_SECONDS', 300, 1, 86_400),
    analystActiveQuota: int(env, 'QUOTA_ANALYST_ACTIVE', 50, 1, 10_000),
    adminActiveQuota: int(env, 'QUOTA_ADMIN_ACTIVE', 0, 0, 10_000),
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365, 1, 3650),
  };
}

/**
 * The active-analysis quota of a key (0 = unlimited) by its role. System principals (`system:…`,
 * the admission webhook) have no quota: admission queues at most one analysis per digest.
 */
export function activeQuota(cfg: OwnershipConfig, role: 'analyst' | 'admin', keyId = ''): number {
  if (keyId.startsWith('system:')) return 0;
  return role === 'admin' ? cfg.adminActiveQuota : cfg.analystActiveQuota;
}
