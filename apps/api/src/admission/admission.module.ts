import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '#core/metrics/metrics';
import { Redis } from 'ioredis';
import { type AppConfig, ConfigError } from '#core/config/config';
import { AttestationChecker } from '#core/attestations/attestation-checker';
import { acceptedKeys } from '#core/attestations/attestation-config';
import { RegistryClient } from '#core/image/registry-client';
import { ChainedCredentials } from '#core/image/registry-credentials';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';
import { CONFIG } from '#core/nest/tokens';
import { AuditRepository } from '#core/storage/audit.repository';
import { VulnerabilityReportRepository } from '#core/storage/vulnerability-report.repository';
import { admissionOverride } from '../audit/admission-audit.js';
import { AnalysesService } from '../analyses/analyses.service.js';
import type { CreateAnalysisDto } from '../analyses/dto/create-analysis.dto.js';
import { type AdmissionConfig } from '#admission/admission.config';
import { AdmissionServer } from '#admission/admission.server';
import { AdmissionService } from '#admission/admission.service';
import { NamespaceModes } from '#admission/namespace-mode.cache';
import { TagResolver } from '#admission/tag.cache';
import { VerdictCache } from '#admission/verdict.cache';

export const ADMISSION_CONFIG = Symbol('ADMISSION_CONFIG');

/**
 * Redis connections of the admission path: no offline queue and a command timeout, so a Redis that
 * is down fails a lookup at once and a slow one within the budget (the REST app's connection
 * queues commands and waits, which is right for it and wrong here).
 */
function admissionRedis(url: string, name: string, commandTimeoutMs?: number): Redis {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs, connectionName: name, retryStrategy: (n) => Math.min(n * 200, 2000) });
  const logger = new Logger('Redis');
  let last = 0;
  r.on('error', (e: Error) => {
    if (Date.now() - last > 5000) {
      last = Date.now();
      logger.warn(`${name}: ${e.message}`);
    }
  });
  return r;
}

/** Starts and stops the webhook's HTTPS server with the API app (only when TLS files are configured). */
@Injectable()
class AdmissionLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: AdmissionServer;
  private readonly conns: Redis[] = [];

  constructor(
    @Inject(ADMISSION_CONFIG) private readonly admission: AdmissionConfig,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly analyses: AnalysesService,
    private readonly audit: AuditRepository,
    private readonly metrics: Metrics,
    private readonly credentials: RegistryCredentialRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.admission.enabled) return;
    if (this.admission.requireAttestation && acceptedKeys(this.config.attestation).length === 0) {
      throw new ConfigError('ADMISSION_REQUIRE_ATTESTATION', 'needs the attestation public key: set ATTESTATION_KEY (docs/attestations.md)');
    }
    const redis = admissionRedis(this.config.redisUrl, 'quarantine-admission', this.admission.budgetMs);
    const subscriber = admissionRedis(this.config.redisUrl, 'quarantine-admission-sub');
    this.conns.push(redis, subscriber);
    const verdicts = new VerdictCache(redis, subscriber, this.admission.verdictTtlMs);
    await verdicts.start();
    const namespaces = new NamespaceModes(redis, this.admission.defaultMode);
    await namespaces.start();
    const submitter = {
      submit: (image: string, profile: string) => this.analyses.submit({ image, profile } as CreateAnalysisDto, { keyId: 'system:admission', name: 'admission webhook', role: 'analyst' }),
    };
    const service = new AdmissionService(this.admission, verdicts, new TagResolver(new RegistryClient({ timeoutMs: 5000, credentials: new ChainedCredentials([this.credentials, this.config.registries.fileCredentials]) }), this.admission.tagTtlMs), namespaces, redis, submitter, this.config.trustedRegistries,
      new AttestationChecker(redis, () => acceptedKeys(this.config.attestation)), new VulnerabilityReportRepository(redis));
    // Overrides go to the audit log after the answer is sent: best effort, never delaying or changing an admission decision.
    const logger = new Logger('AdmissionAudit');
    this.server = new AdmissionServer(this.admission, service, (review, out, address, mode) => {
      const entry = admissionOverride(review, out, address, mode);
      if (entry) this.audit.append(entry).catch((e: Error) => logger.error({ msg: 'audit write failed (admission override)', error: e.message, entry }));
    }, (_what, allowed, mode, seconds, timedOut) => {
      const decision = timedOut ? 'timeout' : allowed ? 'allowed' : 'denied';
      this.metrics.admissionReviews.inc({ decision, mode });
      this.metrics.admissionReviewSeconds.observe({ decision }, seconds);
    });
    await this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.stop();
    for (const c of this.conns) c.disconnect();
  }
}

/** The admission webhook: its own HTTPS listener (ADMISSION_PORT) beside the REST port. */
@Module({})
export class AdmissionModule {
  static forRoot(admission: AdmissionConfig): DynamicModule {
    return {
      module: AdmissionModule,
      providers: [{ provide: ADMISSION_CONFIG, useValue: admission }, AnalysesService, AdmissionLifecycle],
    };
  }
}
