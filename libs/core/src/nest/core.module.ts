import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
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
import { WatchRepository } from '../storage/watch.repository.js';
import { WebhookRepository } from '../storage/webhook.repository.js';
import { CONFIG, REDIS } from './tokens.js';

export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
  const logger = new Logger('Redis');
  redis.on('error', (e) => logger.warn(`${name}: ${e.message}`));
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
        { provide: REDIS, useFactory: () => createRedis(config.redisUrl, `quarantine-${processName}`) },
        { provide: AnalysisRepository, useFactory: (r: Redis) => new AnalysisRepository(r), inject: [REDIS] },
        { provide: ApiKeyRepository, useFactory: (r: Redis) => new ApiKeyRepository(r, config.adminKey), inject: [REDIS] },
        { provide: ArtifactStore, useFactory: () => new ArtifactStore(config.artifactDir) },
        { provide: ProfileRegistry, useFactory: () => new ProfileRegistry(config.profilesDir) },
        { provide: WatchRepository, useFactory: (r: Redis) => new WatchRepository(r), inject: [REDIS] },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey, config.previousSecretKeys) },
        { provide: AofCompactor, useFactory: (r: Redis) => new AofCompactor(r), inject: [REDIS] },
        { provide: WebhookRepository, useFactory: (r: Redis, box: SecretBox, aof: AofCompactor) => new WebhookRepository(r, box, () => aof.request()), inject: [REDIS, SecretBox, AofCompactor] },
        { provide: AuditRepository, useFactory: (r: Redis) => new AuditRepository(r, config.ownership.auditRetentionDays), inject: [REDIS] },
        { provide: QuotaRepository, useFactory: (r: Redis) => new QuotaRepository(r), inject: [REDIS] },
        RedisCloser,
      ],
      exports: [CONFIG, REDIS, SecretBox, AofCompactor, AnalysisRepository, ApiKeyRepository, ArtifactStore, ProfileRegistry, WatchRepository, WebhookRepository, AuditRepository, QuotaRepository],
    };
  }
}
