import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { parseImageRef } from '#core/image/image-ref';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import type { AnalysisRecord } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { ProbeStartError } from '#sandbox/probes/probe';
import { ImageNotFoundError, ImageVerificationError, type Sandbox, type SandboxRuntime } from '#sandbox/sandbox-runtime';
import { CancellationService } from './cancellation.service.js';
import { RunAnalyzer } from './run-analyzer.js';
import type { RunFacts } from './run-facts.js';
import { PROBES, type ProbeRegistry, SANDBOX_RUNTIME } from './sandbox.providers.js';

export interface DetonateOutcome {
  analysisId: string;
  outcome: 'completed' | 'cancelled' | 'skipped';
  verdict?: string;
}

/**
 * One detonation: resolve and verify the image, start the sandbox stopped, attach the probe,
 * release, observe for the profile's window, collect, tear down (always), analyse, store.
 * Infrastructure failures throw (BullMQ retries); sample behaviour never does.
 */
@Injectable()
export class DetonationService {
  private readonly logger = new Logger(DetonationService.name);
  private cpuCursor = -1;

  constructor(
    private readonly repo: AnalysisRepository,
    private readonly profiles: ProfileRegistry,
    private readonly artifacts: ArtifactStore,
    private readonly cancellations: CancellationService,
    private readonly analyzer: RunAnalyzer,
    @Inject(SANDBOX_RUNTIME) private readonly runtime: SandboxRuntime,
    @Inject(PROBES) private readonly probes: ProbeRegistry,
  ) {}

  async run(analysisId: string, attempt: number): Promise<DetonateOutcome> {
    const rec = await this.repo.get(analysisId);
    if (!rec || rec.status === 'completed' || rec.status === 'failed' || rec.status === 'cancelled') {
      return { analysisId, outcome: 'skipped' };
    }
    const profile = this.profiles.get(rec.profile);
    if (!profile) throw new UnrecoverableError(`profile "${rec.profile}" no longer exists`);
    const probe = this.probes.get(rec.probe);
    if (!probe) throw new UnrecoverableError(`probe "${rec.probe}" is not available in this worker`);
    const runtime = rec.runtime === 'runsc' ? 'runsc' : 'runc';
    const startedAt = rec.startedAt ?? new Date().toISOString();
    if (!(await this.repo.update(analysisId, { status: "running", phase: "resolving", startedAt, attempts: rec.attempts + 1 }))) {
      return { analysisId, outcome: 'cancelled' };
    }
    const ac = this.cancellations.register(analysisId);
    let sandbox: Sandbox | undefined;
    try {
      const t0 = Date.now();
      const image = await this.resolve(rec);
      const resolveMs = Date.now() - t0;
      await this.repo.update(analysisId, { digest: image.digest, imageId: image.imageId, phase: 'starting' });
      // A previous attempt (a worker that died) may have left its sandbox behind.
      await this.runtime.reap({ analysisId });
      const dir = await this.artifacts.ensureDir(analysisId);
      const tracePath = join(dir, 'trace.raw');
      const t1 = Date.now();
      sandbox = await this.runtime.create({ analysisId, image, runtime, hold: probe.attachesToProcess, dockerRuntimeName: probe.dockerRuntimeName, cpu: probe.sharesCpuWithSample && profile.limits.cpus <= 1 ? this.nextCpu() : undefined, capabilities: profile.capabilities, limits: profile.limits });
      const t2 = Date.now();
      const target = await sandbox.start();
      const t3 = Date.now();
      const session = await probe.attach(target, tracePath, { budgetBytes: profile.limits.traceBytes });
      const box = sandbox;
      session.onBudgetExceeded(() => void box.kill('budget'));
      const t4 = Date.now();
      if (ac.signal.aborted) throw new CancelledError();
      await this.repo.update(analysisId, { phase: 'observing' });
      sandbox.release(target);
      const exit = await sandbox.wait(ac.signal);
      const t5 = Date.now();
      const probeStats = await session.stop(5000);
      const limitHits = await sandbox.limitHits();
      const output = await sandbox.output(profile.limits.outputBytes);
      await sandbox.destroy();
      const t6 = Date.now();
      if (exit.cancelled || ac.signal.aborted) throw new CancelledError();
      if (!(await this.repo.update(analysisId, { phase: 'analyzing' }))) throw new CancelledError();
      const facts: RunFacts = {
        analysisId,
        imageRef: rec.image,
        image,
        profile,
        sandbox: { id: sandbox.id, name: sandbox.name, hostname: sandbox.hostname, runtime },
        tracePath,
        target,
        exit,
        limitHits,
        probe: probeStats,
        output,
        timings: { resolveMs, createMs: t2 - t1, startMs: t3 - t2, attachMs: t4 - t3, runMs: t5 - t4, collectMs: t6 - t5 },
        startedAt,
      };
      const result = await this.analyzer.analyze(facts, probe.unavailableFields);
      const finishedAt = new Date().toISOString();
      const stored = await this.repo.update(analysisId, {
        status: 'completed',
        phase: 'done',
        verdict: result.verdict,
        score: result.score,
        findings: result.findings,
        rulesVersion: result.rulesVersion,
        finishedAt,
        error: null,
      });
      if (!stored) return { analysisId, outcome: 'cancelled' };
      await this.repo.setVerdict({
        digest: image.digest,
        verdict: result.verdict,
        score: result.score,
        rulesVersion: result.rulesVersion,
        analysisId,
        image: rec.image,
        at: finishedAt,
      });
      return { analysisId, outcome: 'completed', verdict: result.verdict };
    } catch (e) {
      if (e instanceof CancelledError) return { analysisId, outcome: 'cancelled' };
      if (e instanceof ImageNotFoundError || e instanceof ImageVerificationError) {
        await this.fail(analysisId, e.message);
        throw new UnrecoverableError(e.message);
      }
      throw e;
    } finally {
      this.cancellations.unregister(analysisId);
      await sandbox?.destroy().catch((err: Error) => this.logger.error({ msg: 'sandbox removal failed', analysisId, error: err.message }));
    }
  }

  /** Marks the analysis failed (verdict `error`) — after the last attempt, or at once for unrecoverable errors. */
  async fail(analysisId: string, message: string): Promise<void> {
    await this.repo.update(analysisId, { status: 'failed', phase: 'done', verdict: 'error', error: message, finishedAt: new Date().toISOString() });
  }

  /** A probe that cannot start after every retry yields `inconclusive`, not a silent failure. */
  async inconclusive(analysisId: string, message: string): Promise<void> {
    const finishedAt = new Date().toISOString();
    const rec = await this.repo.update(analysisId, { status: 'completed', phase: 'done', verdict: 'inconclusive', score: 0, error: message, finishedAt });
    if (!rec) return;
    await this.artifacts.writeJson(analysisId, 'report.json', {
      analysisId,
      image: rec.image,
      digest: rec.digest,
      profile: rec.profile,
      verdict: 'inconclusive',
      score: 0,
      findings: [],
      scoring: { contributions: [], reasons: [message] },
      probe: { name: rec.probe, complete: false, startError: message },
      startedAt: rec.startedAt,
      finishedAt,
    });
  }

  /** Round-robin over the host's CPUs, so concurrent ptrace'd samples do not share one. */
  private nextCpu(): number {
    this.cpuCursor = (this.cpuCursor + 1) % availableParallelism();
    return this.cpuCursor;
  }

  isProbeError(e: unknown): boolean {
    return e instanceof ProbeStartError;
  }

  private async resolve(rec: AnalysisRecord) {
    return this.runtime.resolveImage(parseImageRef(rec.image));
  }
}

class CancelledError extends Error {}
