import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '../metrics/metrics.js';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config.js';
import { ProfileRegistry } from '../profiles/profile.registry.js';
import { AnalysisRepository } from '../storage/analysis.repository.js';
import { ApiKeyRepository } from '../storage/api-key.repository.js';
import { SecretBox } from '../secrets/secret-box.js';
import { AofCompactor } from '../storage/aof-compactor.js';
import { ArtifactStore } from '../storage/artifact.store.js';
import { AuditRepository } from '../storage/audit.repository.js';
import { QuotaRepository } from '../storage/quota.repository.js';
import { VulnerabilityReportRepository } from '../storage/vulnerability-report.repository.js';
import { WatchRepository } from '../storage/watch.repository.js';
import { WebhookRepository } from '../storage/webhook.repository.js';
import { RegistryCredentialRepository } from '../storage/registry-credential.repository.js';
import { CONFIG, REDIS } from './tokens.js';

/**
 * A Redis connection with an `error` listener (logged at most every 5 s while it stays down). The
 * worker's waits as long as it takes (maxRetriesPerRequest null); the API passes `failFast`: once
 * connected, a command sent while the connection is down fails at once (no offline queue), one
 * sent to a Redis that does not answer fails after `commandTimeoutMs`, and reconnection is tried
 * at least every second so the API is back soon after Redis is.
 */
export function createRedis(url: string, name: string, failFast?: { commandTimeoutMs: number }): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    ...(failFast
      ? { maxRetriesPerRequest: 2, commandTimeout: failFast.commandTimeoutMs, retryStrategy: (n: number) => Math.min(n * 100, 1000) }
      : { maxRetriesPerRequest: null }),
  });
  // Commands sent while booting wait for the first connection (bounded by the timeout); after it, none queue.
  if (failFast) redis.once('ready', () => (redis.options.enableOfflineQueue = false));
  logRedisErrors(redis, name);
  return redis;
}

/** Every Redis connection needs an `error` listener (else ioredis prints "Unhandled error event"); this one logs, rate-limited. */
export function logRedisErrors(redis: Redis, name: string): Redis {
  const logger = new Logger('Redis');
  let last = 0;
  redis.on('error', (e: Error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    logger.warn(`${name}: ${e.message}`);
  });
  return redis;
}

class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(AofCompactor) private readonly aof: AofCompactor,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    this.aof.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Config, Redis, repositories, artifact store and profiles, shared by the API and the worker. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, processName: string): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: Metrics, useValue: new Metrics(processName === 'api' ? 'api' : 'worker') },
        // The API answers within REQUEST_TIMEOUT_MS, so its connection fails fast; the worker's waits out an outage.
        { provide: REDIS, useFactory: () => createRedis(config.redisUrl, `quarantine-${processName}`, processName === 'api' ? { commandTimeoutMs: config.apiLimits.requestTimeoutMs } : undefined) },
        { provide: AnalysisRepository, useFactory: (r: Redis) => new AnalysisRepository(r), inject: [REDIS] },
        { provide: ApiKeyRepository, useFactory: (r: Redis) => new ApiKeyRepository(r, config.adminKey), inject: [REDIS] },
        { provide: ArtifactStore, useFactory: () => new ArtifactStore(config.artifactDir) },
        { provide: ProfileRegistry, useFactory: () => new ProfileRegistry(config.profilesDir) },
        { provide: WatchRepository, useFactory: (r: Redis) => new WatchRepository(r), inject: [REDIS] },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey, config.previousSecretKeys) },
        { provide: AofCompactor, useFactory: (r: Redis) => new AofCompactor(r), inject: [REDIS] },
        { provide: WebhookRepository, useFactory: (r: Redis, box: SecretBox, aof: AofCompactor) => new WebhookRepository(r, box, () => aof.request()), inject: [REDIS, SecretBox, AofCompactor] },
        { provide: RegistryCredentialRepository, useFactory: (r: Redis, box: SecretBox, aof: AofCompactor) => new RegistryCredentialRepository(r, box, () => aof.request()), inject: [REDIS, SecretBox, AofCompactor] },
        { provide: AuditRepository, useFactory: (r: Redis) => new AuditRepository(r, config.ownership.auditRetentionDays), inject: [REDIS] },
        { provide: QuotaRepository, useFactory: (r: Redis) => new QuotaRepository(r), inject: [REDIS] },
        { provide: VulnerabilityReportRepository, useFactory: (r: Redis) => new VulnerabilityReportRepository(r), inject: [REDIS] },
        RedisCloser,
      ],
      exports: [CONFIG, Metrics, REDIS, SecretBox, AofCompactor, AnalysisRepository, ApiKeyRepository, ArtifactStore, ProfileRegistry, WatchRepository, WebhookRepository, AuditRepository, RegistryCredentialRepository, QuotaRepository, VulnerabilityReportRepository],
    };
  }
}
