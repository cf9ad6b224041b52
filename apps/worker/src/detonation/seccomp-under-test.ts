import { seccompFromAnalysis } from '#core/hardening/seccomp-source';
import type { AnalysisRepository } from '#core/storage/analysis.repository';
import type { ArtifactStore } from '#core/storage/artifact.store';
import { SANDBOX_SECCOMP_MACHINERY } from '#sandbox/docker/seccomp-machinery';

/** The `seccompFrom` analysis gives no profile (any more): the run fails at once, it is not retried. */
export class SeccompSourceError extends Error {}

/**
 * The profile a `seccompFrom` run checks (docs/hardening.md): the one GET /v1/analyses/:id/seccomp
 * returns for the source analysis, plus the sandbox's own docker-init and hold wrapper, as JSON for
 * Docker's `seccomp=` security option.
 */
export async function seccompUnderTest(repo: AnalysisRepository, artifacts: ArtifactStore, sourceId: string): Promise<string> {
  const src = await seccompFromAnalysis(repo, artifacts, sourceId, { extra: SANDBOX_SECCOMP_MACHINERY });
  if (!src.ok) throw new SeccompSourceError(`seccompFrom: ${src.reason}`);
  return JSON.stringify(src.profile);
}
