import { Injectable } from '@nestjs/common';
import { type ServingFacts, acceptRefusal, hardeningRefusal, servingRefusal } from '#analysis/hardening/eligibility';
import { SelectorError, isDnsLabel, isDnsSubdomain, parseSelector } from '#analysis/hardening/label-selector';
import { type NetworkFacts, ciliumNetworkPolicy, networkPolicy, networkShape } from '#analysis/hardening/network-policy';
import { seccompProfile, seccompRefusal, spoSeccompProfile } from '#analysis/hardening/seccomp';
import type { SyscallRecord } from '#analysis/hardening/syscall-set';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { ArtifactStore } from '#core/storage/artifact.store';
import type { NetworkPolicyQueryDto, SeccompQueryDto } from './dto/hardening-query.dto.js';

type HardeningReport = NetworkFacts & ServingFacts & { syscalls?: SyscallRecord; image?: string };

/** Seccomp profiles and NetworkPolicies generated from a clean analysis' stored report (docs/hardening.md). */
@Injectable()
export class HardeningService {
  constructor(
    private readonly repo: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
  ) {}

  async seccomp(id: string, q: SeccompQueryDto): Promise<unknown> {
    this.checkNames(q);
    const { report } = await this.cleanReport(id);
    const why = seccompRefusal(report.syscalls) ?? acceptRefusal(report, report.syscalls!.names);
    if (why) throw new DomainException(ErrorCode.ValidationFailed, 400, `no seccomp profile for analysis ${id}: ${why}`, [{ field: 'id', message: why }]);
    const profile = seccompProfile(report.syscalls!);
    if ((q.format ?? 'docker') === 'docker') return profile;
    return spoSeccompProfile(profile, this.meta(id, q, report.image));
  }

  async networkPolicy(id: string, q: NetworkPolicyQueryDto): Promise<unknown> {
    let podSelector: Record<string, string>;
    try {
      podSelector = parseSelector(q.selector ?? '');
    } catch (e) {
      if (e instanceof SelectorError) throw DomainException.validation('selector', e.message);
      throw e;
    }
    this.checkNames(q);
    const { rec, report } = await this.cleanReport(id);
    if (!report.network) throw new DomainException(ErrorCode.ValidationFailed, 400, `no NetworkPolicy for analysis ${id}: its report has no network section`, [{ field: 'id', message: 'the report has no network section' }]);
    if (typeof report.network === 'object' && (report.network as { incomplete?: string }).incomplete) {
      const inc = (report.network as { incomplete?: string }).incomplete!;
      throw new DomainException(ErrorCode.ValidationFailed, 400, `no NetworkPolicy for analysis ${id}: the run's network view was incomplete (${inc})`, [{ field: 'id', message: inc }]);
    }
    const shape = networkShape(report);
    const opts = { ...this.meta(id, q, rec.image), podSelector, analysisId: id, image: rec.image };
    return (q.format ?? 'kubernetes') === 'cilium' ? ciliumNetworkPolicy(shape, opts) : networkPolicy(shape, opts);
  }

  private checkNames(q: { name?: string; namespace?: string }): void {
    if (q.name !== undefined && !isDnsSubdomain(q.name)) throw DomainException.validation('name', 'must be a DNS-1123 subdomain (lower-case letters, digits, - and ., ≤ 253)');
    if (q.namespace !== undefined && !isDnsLabel(q.namespace)) throw DomainException.validation('namespace', 'must be a DNS-1123 label (lower-case letters, digits, -, ≤ 63)');
  }

  private meta(id: string, q: { name?: string; namespace?: string }, image: string | undefined) {
    return {
      name: q.name ?? `quarantine-${id.slice(0, 8)}`,
      ...(q.namespace ? { namespace: q.namespace } : {}),
      annotations: { 'quarantine.io/analysis-id': id, ...(image ? { 'quarantine.io/image': image.slice(0, 512) } : {}) },
    };
  }

  private async cleanReport(id: string) {
    const rec = await this.repo.get(id);
    if (!rec) throw DomainException.notFound('analysis', id);
    const refusal = hardeningRefusal(rec);
    if (refusal?.reason === 'not_finished') throw new DomainException(ErrorCode.Conflict, 409, refusal.message);
    if (refusal) throw new DomainException(ErrorCode.ValidationFailed, 400, refusal.message, [{ field: 'id', message: refusal.message }]);
    const report = await this.artifacts.readJson<HardeningReport>(id, 'report.json');
    if (!report) throw new DomainException(ErrorCode.Conflict, 409, `analysis ${id} has no report yet (status ${rec.status})`);
    const notServing = servingRefusal(report);
    if (notServing) throw new DomainException(ErrorCode.ValidationFailed, 400, `no hardening profile for analysis ${id}: ${notServing}`, [{ field: 'id', message: notServing }]);
    return { rec, report };
  }
}
