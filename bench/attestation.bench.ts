/**
 * Signed verdict attestations benchmark (npm run bench), on real Redis and the real local registry
 * (docker-registry on 127.0.0.1:5000):
 *  1. Sign only: build the in-toto statement + DSSE/ECDSA P-256 signature, p50/p99 µs.
 *  2. Sign + attach per analysis (what a completed admission analysis adds, AttestationService.attest):
 *     read the record and report, sign, store (artifact + Redis), push to the image's repository as
 *     cosign does (.att: blob HEAD/POST/PUT ×2, manifest GETs, manifest PUT, referrers probe): median ms
 *     over BENCH_ATTEST_N (default 30) analyses of distinct images, first attachment and replacement.
 *  3. Verification: Quarantine's verifier (signature + statement checks) µs, and admission's check
 *     (ADMISSION_REQUIRE_ATTESTATION: Redis GET + verify, then cached) cold/warm µs.
 * Writes bench/results/attestation.json. Uses Redis database BENCH_ATTEST_DB (default 21), flushed.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AttestationService } from '../apps/worker/src/detonation/attestation.service.js';
import { AttestationChecker } from '../libs/core/src/attestations/attestation-checker.js';
import { acceptedKeys } from '../libs/core/src/attestations/attestation-config.js';
import { keyIdOf, signEnvelope } from '../libs/core/src/attestations/dsse.js';
import { buildVerdictStatement, statementBytes } from '../libs/core/src/attestations/statement.js';
import { verifyAttestation } from '../libs/core/src/attestations/verify-attestation.js';
import { loadConfig } from '../libs/core/src/config/config.js';
import { RegistryClient } from '../libs/core/src/image/registry-client.js';
import { AnalysisRepository } from '../libs/core/src/storage/analysis.repository.js';
import type { AnalysisRecord, FindingSummary } from '../libs/core/src/storage/analysis.types.js';
import { ArtifactStore } from '../libs/core/src/storage/artifact.store.js';
import { Keys } from '../libs/core/src/storage/redis-keys.js';
import { pushSyntheticImage } from '../test/support/oci-image.js';
import { median } from './support.js';

const REGISTRY = process.env.QUARANTINE_TEST_REGISTRY ?? '127.0.0.1:5000';
const N = Number(process.env.BENCH_ATTEST_N ?? 30);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (n: number) => Math.round(n * 10) / 10;
const findings: FindingSummary[] = Array.from({ length: 5 }, (_, i) => ({ rule: `Rule ${i}`, priority: 'NOTICE', tags: ['T1059.004', 'mitre_execution'], count: i + 1, points: i, share: 0.2, output: 'x' }));

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const base = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  base.pathname = `/${process.env.BENCH_ATTEST_DB ?? 21}`;
  const redis = new Redis(base.toString(), { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  const dir = mkdtempSync(join(tmpdir(), 'q-bench-attest-'));
  try {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'key.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const config = loadConfig({ REDIS_URL: base.toString(), ATTESTATION_KEY: join(dir, 'key.pem'), TRUSTED_REGISTRIES: REGISTRY, ARTIFACT_DIR: join(dir, 'artifacts') });
    const repo = new AnalysisRepository(redis);
    const artifacts = new ArtifactStore(config.artifactDir);
    const service = new AttestationService(repo, artifacts, redis, config);
    const client = new RegistryClient();
    const run = `q-bench-attest-${Date.now().toString(36)}`;

    // 1. Sign only.
    const input = (digest: string) => ({
      subjectName: `${REGISTRY}/${run}/app`, digest, analysisId: randomUUID(), image: `${REGISTRY}/${run}/app:v1`, verdict: 'clean' as const, score: 4, findings,
      profile: 'default', probe: 'strace', probeHealth: { complete: true, lost: 0, budgetExceeded: false, error: null }, rulesVersion: 'a'.repeat(64),
      publicUrl: 'http://localhost:3000', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), rescoredAt: null, issuedAt: new Date().toISOString(), maxAgeMs: 7 * 86_400_000,
    });
    const digest0 = `sha256:${'b'.repeat(64)}`;
    const signUs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      signEnvelope(statementBytes(buildVerdictStatement(input(digest0))), key.privateKey);
      signUs.push((performance.now() - t0) * 1000);
    }

    // 2. Sign + attach, per analysis (N distinct images; then the same N again: replacing the attached layer).
    const ids: { id: string; digest: string }[] = [];
    for (let i = 0; i < N; i++) {
      const repository = `${run}/app${i}`;
      const digest = await pushSyntheticImage(client, REGISTRY, repository, 'v1', `bench ${run} ${i}`);
      const id = randomUUID();
      const now = new Date().toISOString();
      await repo.create({ id, image: `${REGISTRY}/${repository}:v1`, digest, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc', status: 'completed', phase: 'done', verdict: 'clean', score: 4, findings, labels: {}, priority: 5, rulesVersion: 'a'.repeat(64), createdAt: now, startedAt: now, finishedAt: now, attempts: 1, error: null, submittedBy: 'bench', supplyChain: { source: 'registry', digest, signature: 'not-required' }, countsForAdmission: true } as AnalysisRecord);
      await artifacts.writeJson(id, 'report.json', { probe: { complete: true, lost: 0, budgetExceeded: false } });
      ids.push({ id, digest });
    }
    const attach = async () => {
      const ms: number[] = [];
      for (const { id } of ids) {
        const t0 = performance.now();
        const state = await service.attest(id, { verdict: 'clean', score: 4, findings, rulesVersion: 'a'.repeat(64) }, new Date().toISOString(), true);
        ms.push(performance.now() - t0);
        if (state?.status !== 'attached') throw new Error(`not attached: ${JSON.stringify(state)}`);
      }
      return ms;
    };
    const firstMs = await attach();
    const replaceMs = await attach();

    // 3. Verification.
    const keys = acceptedKeys(config.attestation);
    const env = JSON.parse((await redis.get(Keys.attestation(ids[0].digest)))!) as unknown;
    const verifyUs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      if (!verifyAttestation(env, { keys, digest: ids[0].digest }).ok) throw new Error('does not verify');
      verifyUs.push((performance.now() - t0) * 1000);
    }
    const checker = new AttestationChecker(redis, () => keys);
    const coldUs: number[] = [];
    const warmUs: number[] = [];
    for (const { id, digest } of ids) {
      const entry = { analysisId: id, verdict: 'clean' as const, at: randomUUID() };
      let t0 = performance.now();
      if (await checker.check(digest, entry)) throw new Error('check failed');
      coldUs.push((performance.now() - t0) * 1000);
      t0 = performance.now();
      await checker.check(digest, entry);
      warmUs.push((performance.now() - t0) * 1000);
    }

    const out = {
      at: new Date().toISOString(),
      keyid: keyIdOf(key.publicKey),
      signOnlyUs: { p50: round(pct(signUs, 50)), p99: round(pct(signUs, 99)), findings: findings.length },
      signAndAttachMs: { analyses: N, median: round(median(firstMs)), p99: round(pct(firstMs, 99)), replaceMedian: round(median(replaceMs)), registry: REGISTRY },
      verifyUs: { p50: round(pct(verifyUs, 50)), p99: round(pct(verifyUs, 99)) },
      admissionCheckUs: { coldP50: round(pct(coldUs, 50)), warmP50: round(pct(warmUs, 50)) },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/attestation.json', `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await redis.flushdb();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
