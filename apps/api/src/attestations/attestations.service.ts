import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { acceptedKeys } from '#core/attestations/attestation-config';
import { AttestationStore } from '#core/attestations/attestation.store';
import type { DsseEnvelope } from '#core/attestations/dsse';
import { VERDICT_PREDICATE_TYPE } from '#core/attestations/statement';
import type { AppConfig } from '#core/config/config';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { ArtifactStore } from '#core/storage/artifact.store';

const conflict = (message: string) => new DomainException(ErrorCode.Conflict, 409, message);

/** Serves signed verdict attestations and the keys that verify them (docs/attestations.md). */
@Injectable()
export class AttestationsService {
  private readonly store: AttestationStore;

  constructor(
    private readonly repo: AnalysisRepository,
    artifacts: ArtifactStore,
    @Inject(REDIS) redis: Redis,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.store = new AttestationStore(redis, artifacts);
  }

  private notConfigured(): DomainException {
    return new DomainException(ErrorCode.NotFound, 404, 'attestations are not configured on this server: ATTESTATION_KEY is not set (docs/attestations.md)');
  }

  publicKeyPem(): string {
    const current = this.config.attestation.publicKeys.find((k) => k.current);
    if (!current) throw this.notConfigured();
    return current.pem;
  }

  publicKeys() {
    const keys = acceptedKeys(this.config.attestation);
    if (!keys.some((k) => k.current)) throw this.notConfigured();
    return {
      predicateType: VERDICT_PREDICATE_TYPE,
      algorithm: 'ecdsa-p256-sha256',
      keys: keys.map((k) => ({ keyid: k.keyid, current: k.current, pem: k.pem, retiredAt: k.retiredAt ?? null, validUntil: k.validUntil ?? null })),
    };
  }

  /** The stored envelope, or a 404/409 that says why there is none. */
  async envelope(id: string): Promise<DsseEnvelope> {
    const rec = await this.repo.get(id);
    if (!rec) throw DomainException.notFound('analysis', id);
    const a = rec.attestation;
    if (!a) {
      if (!this.config.attestation.signingKey) throw conflict(`analysis ${id} has no attestation: attestations are off on this server (ATTESTATION_KEY is not set)`);
      if (rec.status !== 'completed') throw conflict(`analysis ${id} is ${rec.status}: only completed analyses are attested`);
      if (rec.countsForAdmission === false) throw conflict(`analysis ${id} is not attested: only analyses that count for admission are (${rec.admissionReason ?? 'its profile or probe is not an admission one'})`);
      throw conflict(`analysis ${id} has no attestation (it finished before attestations were configured, or is being signed): rescore it to sign its verdict`);
    }
    if (a.status === 'not-applicable') throw conflict(`analysis ${id} has no attestation: ${a.reason ?? 'not applicable'}`);
    const envelope = await this.store.forAnalysis(id);
    if (!envelope) throw conflict(`analysis ${id} has no attestation: ${a.reason ?? `status ${a.status}`}`);
    return envelope;
  }

  async statement(id: string): Promise<unknown> {
    const env = await this.envelope(id);
    return JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as unknown;
  }
}
