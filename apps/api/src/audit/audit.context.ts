import { randomUUID } from 'node:crypto';
import type { Principal } from '#core/storage/api-key.repository';
import type { AuditActor } from '#core/storage/audit.repository';

/** What the policy guard and the audit interceptor read from an Express request. */
export interface PolicyRequest {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  principal?: Principal;
  ip?: string;
  socket?: { remoteAddress?: string };
  /** One id per request: ties its audit attempt to its outcome. */
  auditRequestId?: string;
}

export function actorOf(req: PolicyRequest): AuditActor {
  const p = req.principal;
  return { keyId: p?.keyId ?? 'anonymous', name: p?.name ?? 'anonymous', role: p?.role ?? 'none', address: req.ip ?? req.socket?.remoteAddress ?? null };
}

export function requestIdOf(req: PolicyRequest): string {
  req.auditRequestId ??= randomUUID();
  return req.auditRequestId;
}
