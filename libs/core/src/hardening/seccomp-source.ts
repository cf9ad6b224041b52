import { type ServingFacts, acceptRefusal, hardeningRefusal, servingRefusal } from '#analysis/hardening/eligibility';
import { type SeccompProfile, seccompProfile, seccompRefusal } from '#analysis/hardening/seccomp';
import type { SyscallRecord } from '#analysis/hardening/syscall-set';
import type { AnalysisRepository } from '../storage/analysis.repository.js';
import type { ArtifactStore } from '../storage/artifact.store.js';

/**
 * The seccomp profile generated from analysis `id`, for a run that checks it (`seccompFrom`,
 * docs/hardening.md), or why there is none. The API checks at submission, the worker again when
 * it runs (the source could have been rescored or deleted in between).
 */
export async function seccompFromAnalysis(
  repo: Pick<AnalysisRepository, 'get'>,
  artifacts: Pick<ArtifactStore, 'readJson'>,
  id: string,
  opts: { extra?: readonly string[] } = {},
): Promise<{ ok: true; profile: SeccompProfile } | { ok: false; reason: string }> {
  const rec = await repo.get(id);
  if (!rec) return { ok: false, reason: `analysis ${id} does not exist` };
  const refusal = hardeningRefusal(rec);
  if (refusal) return { ok: false, reason: refusal.message };
  const report = await artifacts.readJson<ServingFacts & { syscalls?: SyscallRecord }>(id, 'report.json');
  if (!report) return { ok: false, reason: `analysis ${id} has no report` };
  const notServing = servingRefusal(report);
  if (notServing) return { ok: false, reason: `analysis ${id}: ${notServing}` };
  const why = seccompRefusal(report.syscalls) ?? acceptRefusal(report, report.syscalls!.names);
  if (why) return { ok: false, reason: `analysis ${id}: ${why}` };
  return { ok: true, profile: seccompProfile(report.syscalls!, { extra: opts.extra }) };
}
