import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Metrics } from '#core/metrics/metrics';
import { Redis } from 'ioredis';
import { AttestationStore } from '#core/attestations/attestation.store';
import { attachAttestation } from '#core/attestations/cosign-attach';
import { keyIdOf, signEnvelope } from '#core/attestations/dsse';
import { type AttestedVerdict, VERDICT_PREDICATE_TYPE, buildVerdictStatement, statementBytes } from '#core/attestations/statement';
import type { AppConfig } from '#core/config/config';
import { parseImageRef } from '#core/image/image-ref';
import { RegistryClient } from '#core/image/registry-client';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AttestationState, FindingSummary, Verdict } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';

/** What the stored report says about the probe (report.json `probe`). */
interface ReportProbe {
  complete?: boolean;
  lost?: number;
  budgetExceeded?: boolean;
  startError?: string | null;
  stopError?: string | null;
}

/** How long pushing one attestation to a registry may take. */
const ATTACH_TIMEOUT_MS = 30_000;

/**
 * Signs the verdict of an analysis that counts for admission (docs/attestations.md) and, for a
 * registry image whose admission verdict it holds, attaches it to the image's repository as cosign
 * does. Never fails the analysis: every outcome, failures included, is recorded as `attestation`
 * on the record; the verdict stays whatever happens here.
 */
@Injectable()
export class AttestationService {
  private readonly logger = new Logger(AttestationService.name);
  private readonly store: AttestationStore;
  private readonly keyid: string | null;
  private readonly registry = new RegistryClient({ timeoutMs: 15_000 });

  constructor(
    private readonly repo: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
    @Inject(REDIS) redis: Redis,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.store = new AttestationStore(redis, artifacts);
    this.keyid = config.attestation.signingKey ? keyIdOf(config.attestation.signingKey) : null;
  }

  get enabled(): boolean {
    return this.config.attestation.signingKey !== null;
  }

  /**
   * `holdsVerdict`: the analysis's verdict became (or stayed) its digest's admission verdict, so
   * its attestation is the one admission and the registry carry. `at`: the verdict's time.
   */
  async attest(analysisId: string, result: { verdict: Exclude<Verdict, 'error'>; score: number; findings: readonly FindingSummary[]; rulesVersion: string }, at: string, holdsVerdict: boolean): Promise<AttestationState | null> {
    if (!this.enabled) return null;
    const t0 = performance.now();
    let state: AttestationState;
    try {
      state = await this.signAndAttach(analysisId, result, at, holdsVerdict);
    } catch (e) {
      state = { status: 'failed', reason: `attestation failed: ${(e as Error).message}`.slice(0, 1000), predicateType: VERDICT_PREDICATE_TYPE };
      this.logger.error({ msg: 'attestation failed (the verdict stands)', analysisId, error: (e as Error).message });
    }
    this.metrics?.attestations.inc({ status: state.status });
    this.metrics?.attestationSeconds.observe({ status: state.status }, (performance.now() - t0) / 1000);
    await this.repo.update(analysisId, { attestation: state }, { allowTerminal: true }).catch((e: Error) => this.logger.error({ msg: 'could not record the attestation state', analysisId, error: e.message }));
    return state;
  }

  private async signAndAttach(analysisId: string, result: { verdict: Exclude<Verdict, 'error'>; score: number; findings: readonly FindingSummary[]; rulesVersion: string }, at: string, holdsVerdict: boolean): Promise<AttestationState> {
    const key = this.config.attestation.signingKey!;
    const rec = await this.repo.get(analysisId);
    if (!rec) throw new Error(`analysis ${analysisId} not found`);
    const digest = rec.supplyChain?.source === 'registry' ? rec.supplyChain.digest : undefined;
    if (!digest) {
      return { status: 'not-applicable', reason: 'local-only image: no registry digest to name as the subject or to attach to (analyse it from a trusted registry to get an attestation)' };
    }
    const ref = parseImageRef(rec.image);
    if (!ref.registry) throw new Error(`image ${rec.image} names no registry`);
    const report = await this.artifacts.readJson<{ probe?: ReportProbe; startedAt?: string }>(analysisId, 'report.json');
    const p = report?.probe ?? {};
    const statement = buildVerdictStatement({
      subjectName: ref.name,
      digest,
      analysisId,
      image: rec.image,
      verdict: result.verdict as AttestedVerdict,
      score: result.score,
      findings: result.findings,
      profile: rec.profile,
      probe: rec.probe,
      probeHealth: { complete: p.complete === true, lost: typeof p.lost === 'number' ? p.lost : 0, budgetExceeded: p.budgetExceeded === true, error: typeof (p.startError ?? p.stopError) === 'string' ? String(p.startError ?? p.stopError).slice(0, 500) : null },
      rulesVersion: result.rulesVersion,
      publicUrl: this.config.webhooks.publicUrl,
      startedAt: rec.startedAt ?? report?.startedAt ?? null,
      finishedAt: rec.finishedAt ?? at,
      rescoredAt: rec.rescoredAt ?? null,
      issuedAt: at,
      maxAgeMs: this.config.attestation.maxAgeMs,
    });
    const envelope = signEnvelope(statementBytes(statement), key, this.keyid!);
    await this.store.save(analysisId, envelope);
    const base: AttestationState = { status: 'signed', keyid: this.keyid!, predicateType: VERDICT_PREDICATE_TYPE, signedAt: new Date().toISOString(), expiresAt: statement.predicate.expiresAt, registry: null };
    if (!holdsVerdict) return { ...base, reason: 'not attached: a later analysis holds this digest\'s admission verdict' };
    await this.store.setForDigest(digest, envelope, statement.predicate.expiresAt);
    if (!this.config.attestation.attach) return { ...base, reason: 'not attached: ATTESTATION_ATTACH=false' };
    if (!this.config.trustedRegistries.some((r) => r.toLowerCase() === ref.registry!.toLowerCase())) {
      return { ...base, reason: `not attached: registry ${ref.registry} is not in TRUSTED_REGISTRIES` };
    }
    try {
      const attached = await attachAttestation(this.registry, { registry: ref.registry, repository: ref.repository, digest }, Buffer.from(JSON.stringify(envelope)), VERDICT_PREDICATE_TYPE, AbortSignal.timeout(ATTACH_TIMEOUT_MS));
      this.logger.log({ msg: 'attestation attached', analysisId, digest, tag: attached.tag, manifest: attached.manifestDigest, referrersApi: attached.referrersApi });
      return { ...base, status: 'attached', registry: { tag: attached.tag, manifestDigest: attached.manifestDigest, referrersApi: attached.referrersApi } };
    } catch (e) {
      this.logger.error({ msg: 'attestation signed but not attached (the verdict stands)', analysisId, digest, error: (e as Error).message });
      return { ...base, status: 'failed', reason: `signed (downloadable) but not attached to ${ref.name}: ${(e as Error).message}`.slice(0, 1000) };
    }
  }
}
