import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '#core/storage/audit.repository';
import type { ParsedReview, ReviewResponse } from '#admission/admission-review';

/**
 * An admission override: a workload admitted although not every image it runs is cleared — a
 * warn-mode namespace, ADMISSION_FAIL_OPEN when no decision came in the budget, or a sandbox
 * namespace (images not checked). Such answers are the ones that carry warnings. Dry runs change
 * nothing and are not recorded. Who: the Kubernetes user of the review (`userInfo.username`).
 */
export function admissionOverride(review: ParsedReview, out: ReviewResponse, address: string | null, mode: string): AuditEntry | null {
  if (!out.response.allowed || !out.response.warnings?.length || review.images.length === 0 || review.dryRun) return null;
  const user = review.user ?? 'unknown';
  const what = `${review.kind}${review.name ? ` ${review.name}` : ''}${review.namespace ? ` in ${review.namespace}` : ''}`;
  return {
    at: new Date().toISOString(),
    actor: { keyId: user, name: user, role: 'kubernetes', address },
    action: 'admission.override',
    resource: { type: 'workload', id: `${review.namespace ?? ''}/${review.kind}/${review.name ?? ''}` },
    result: 'ok',
    status: 200,
    requestId: review.uid || randomUUID(),
    detail: `${what} (${review.operation}, ${mode} mode) admitted with: ${out.response.warnings.join(' | ')}`.slice(0, 2000),
  };
}
