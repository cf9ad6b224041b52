import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '#core/config/config';
import type { SupplyChainGate } from '#core/image/supply-chain';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { ArtifactStore } from '#core/storage/artifact.store';
import { StraceProbe } from '#sandbox/probes/strace.probe';
import type { SandboxRuntime } from '#sandbox/sandbox-runtime';
import { e2eProfilesDir } from '../../../../test/support/profiles.js';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { AdmissionVerdictService } from './admission-verdict.service.js';
import { AttestationService } from './attestation.service.js';
import { CancellationService } from './cancellation.service.js';
import { DetonationService } from './detonation.service.js';
import { RuleSetCache } from './rule-set.cache.js';
import { RunAnalyzer } from './run-analyzer.js';

/** What a DetonationService integration test runs on: a real Redis database, an artifact directory, the e2e profiles. */
export interface DetonationWorld {
  redis: Redis;
  artifactsDir: string;
  profilesDir: string;
}

/** Registers the test file's beforeAll/afterAll that make and remove its world. */
export function detonationWorld(db: number, window: string): DetonationWorld {
  const w = {} as DetonationWorld;
  beforeAll(async () => {
    w.redis = new Redis(testRedisUrl(db), { maxRetriesPerRequest: 3 });
    await w.redis.flushdb();
    w.artifactsDir = mkdtempSync(join(tmpdir(), 'q-detonation-art-'));
    w.profilesDir = e2eProfilesDir(window);
  });
  afterAll(async () => {
    await w.redis.flushdb();
    w.redis.disconnect();
    rmSync(w.artifactsDir, { recursive: true, force: true });
    rmSync(w.profilesDir, { recursive: true, force: true });
  });
  return w;
}

/** The worker's DetonationService with real storage, profiles, rules and analyzer, over the runtimes and gate given. */
export function detonationService(w: DetonationWorld, docker: SandboxRuntime, kubernetes: SandboxRuntime | null, gate: SupplyChainGate) {
  const repo = new AnalysisRepository(w.redis);
  const artifacts = new ArtifactStore(w.artifactsDir);
  const profiles = new ProfileRegistry(w.profilesDir);
  const config = loadConfig({});
  const svc = new DetonationService(repo, profiles, artifacts, new CancellationService(w.redis), new RunAnalyzer(artifacts, new RuleSetCache()), docker, new Map([['strace', new StraceProbe()]]), gate, new AdmissionVerdictService(repo, profiles, config, new AttestationService(repo, artifacts, w.redis, config)), kubernetes);
  return { svc, repo, artifacts };
}
