import { SetMetadata } from '@nestjs/common';
import type { Role } from '#core/storage/api-key.repository';

/**
 * Who may do what: THE table (docs/security.md "Roles and ownership"). Every route declares one
 * of these actions with @Authorize; PolicyGuard enforces the row, AuditInterceptor records the
 * audited ones. A route with no declaration is refused (403) and fails the authorization matrix test.
 *
 * - `roles`: the roles that may call the route at all.
 * - `owned`: the route acts on the resource named by `:id`; an analyst may act only on what their
 *   key created (`owner` = their key id), an admin on everything. A resource with no owner (made
 *   before ownership existed, or by the system: admission) is admin-only.
 * - `audited`: an entry is written to the audit log before (fail-closed) and after the action.
 */
export interface PolicyRule {
  roles: readonly Role[];
  owned?: boolean;
  audited?: boolean;
}

const EVERYONE: readonly Role[] = ['analyst', 'admin'];
const ADMIN: readonly Role[] = ['admin'];

export const POLICY = {
  // Analyses: a security team shares results, so every key reads every analysis; acting is the owner's (or an admin's).
  'analysis.list': { roles: EVERYONE },
  'analysis.read': { roles: EVERYONE },
  'analysis.create': { roles: EVERYONE },
  'analysis.cancel': { roles: EVERYONE, owned: true, audited: true },
  'analysis.rescore': { roles: EVERYONE, owned: true, audited: true },
  // Seccomp profile and NetworkPolicy generated from a clean run's report: reading, like the report.
  'analysis.hardening': { roles: EVERYONE },
  // Watches: the same sharing; deleting or running one is the owner's.
  'watch.list': { roles: EVERYONE },
  'watch.read': { roles: EVERYONE },
  'watch.create': { roles: EVERYONE, audited: true },
  'watch.delete': { roles: EVERYONE, owned: true, audited: true },
  'watch.run': { roles: EVERYONE, owned: true, audited: true },
  // Webhooks carry secrets and reach out of the network: admins only, as before.
  'webhook.list': { roles: ADMIN },
  'webhook.read': { roles: ADMIN },
  'webhook.create': { roles: ADMIN, audited: true },
  'webhook.delete': { roles: ADMIN, audited: true },
  'webhook.rotate-secret': { roles: ADMIN, audited: true },
  'webhook.enable': { roles: ADMIN, audited: true },
  'webhook.test': { roles: ADMIN, audited: true },
  'webhook.redeliver': { roles: ADMIN, audited: true },
  'api-key.list': { roles: ADMIN },
  'api-key.create': { roles: ADMIN, audited: true },
  'api-key.revoke': { roles: ADMIN, audited: true },
  'audit.read': { roles: ADMIN },
  // Registry credentials are secrets for reaching private registries: admins only, changes audited.
  'registry.list': { roles: ADMIN },
  'registry.read': { roles: ADMIN },
  'registry.set-credentials': { roles: ADMIN, audited: true },
  'registry.delete-credentials': { roles: ADMIN, audited: true },
  'profile.list': { roles: EVERYONE },
  'rules.validate': { roles: EVERYONE },
  // Signed verdict attestations are part of an analysis's results: readable like them.
  'attestation.read': { roles: EVERYONE },
  // Vulnerability reports are about an image digest, owned by nobody: every key reads and uploads (the latest per scanner wins), audited since they can deny admission.
  'vulnerability-report.read': { roles: EVERYONE },
  'vulnerability-report.create': { roles: EVERYONE, audited: true },
} as const satisfies Record<string, PolicyRule>;

export type PolicyAction = keyof typeof POLICY;

export const POLICY_KEY = 'quarantine:policy';

/** Declares what a route does; PolicyGuard looks the action up in POLICY. */
export const Authorize = (action: PolicyAction) => SetMetadata(POLICY_KEY, action);

/** The resource type of an action (`analysis.cancel` → `analysis`). */
export const resourceOf = (action: PolicyAction): string => action.slice(0, action.indexOf('.'));
