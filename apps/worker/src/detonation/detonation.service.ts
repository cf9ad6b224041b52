import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { parseImageRef } from '#core/image/image-ref';
import { SupplyChainGate, SupplyChainNotFound, SupplyChainRejection } from '#core/image/supply-chain';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { TERMINAL_STATUSES } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { type PreparedProbe, ProbeStartError } from '#sandbox/probes/probe';
import { startStimulation } from '#sandbox/stimulation/stimulation';
import { ContainmentUnavailableError, ImageNotFoundError, ImageVerificationError, type Sandbox, type SandboxRuntime } from '#sandbox/sandbox-runtime';
import { AdmissionVerdictService } from './admission-verdict.service.js';
import { CancellationService } from './cancellation.service.js';
import { RunAnalyzer } from './run-analyzer.js';
import { SeccompSourceError, seccompUnderTest } from './seccomp-under-test.js';
import type { RunFacts } from './run-facts.js';
import { StaticChecksService } from './static-checks.service.js';
import { KUBERNETES_RUNTIME, PROBES, type ProbeRegistry, SANDBOX_RUNTIME } from './sandbox.providers.js';

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
    private readonly supplyChain: SupplyChainGate,
    private readonly admission: AdmissionVerdictService,
    @Optional() @Inject(KUBERNETES_RUNTIME) private readonly kubernetes: SandboxRuntime | null = null,
    @Optional() @Inject(StaticChecksService) private readonly staticChecks: StaticChecksService | null = null,
  ) {}

  /** The runtime a profile asks for: Docker (runc / runsc) or Kubernetes (when K8S_RUNTIME=on). */
  private runtimeFor(profileRuntime: string): SandboxRuntime {
    if (profileRuntime !== 'kubernetes') return this.runtime;
    if (!this.kubernetes) throw new UnrecoverableError('the profile needs the kubernetes runtime, which this worker does not run (K8S_RUNTIME=on)');
    return this.kubernetes;
  }

  async run(analysisId: string): Promise<DetonateOutcome> {
    const rec = await this.repo.get(analysisId);
    if (!rec || TERMINAL_STATUSES.includes(rec.status)) {
      return { analysisId, outcome: 'skipped' };
    }
    const profile = this.profiles.get(rec.profile);
    if (!profile) throw new UnrecoverableError(`profile "${rec.profile}" no longer exists`);
    const probe = this.probes.get(rec.probe);
    if (!probe) throw new UnrecoverableError(`probe "${rec.probe}" is not available in this worker`);
    const runtime = rec.runtime === 'runsc' ? 'runsc' : 'runc';
    const onKubernetes = profile.runtime === 'kubernetes';
    let rt: SandboxRuntime;
    try {
      rt = this.runtimeFor(profile.runtime);
    } catch (e) {
      await this.fail(analysisId, (e as Error).message);
      throw e;
    }
    const startedAt = rec.startedAt ?? new Date().toISOString();
    if (!(await this.repo.update(analysisId, { status: "running", phase: "resolving", startedAt, attempts: rec.attempts + 1 }))) {
      return { analysisId, outcome: 'cancelled' };
    }
    const ac = this.cancellations.register(analysisId);
    let sandbox: Sandbox | undefined;
    let prepared: PreparedProbe | undefined;
    try {
      const t0 = Date.now();
      // Supply-chain gate first: trusted source, tag → digest, signature. Nothing runs unless it passes.
      const gate = await this.supplyChain.check(parseImageRef(rec.image), profile.supplyChain);
      await this.repo.update(analysisId, {
        supplyChain: { source: gate.source, digest: gate.digest, resolvedTag: gate.resolvedTag, allowedBy: gate.allowedBy, signature: gate.signature },
        ...(gate.digest ? { digest: gate.digest } : {}),
      });
      // Registry images are pulled by digest; the runtime checks the local image's RepoDigests include it.
      const image = await rt.resolveImage(gate.ref);
      const resolveMs = Date.now() - t0;
      // Static image checks (docs/static-checks.md): read while the sandbox is created, finished before it starts; they never throw.
      const staticPending = this.staticChecks?.scan({ analysisId, imageId: image.imageId, settings: profile.static, local: !onKubernetes });
      await this.repo.update(analysisId, { digest: image.digest, imageId: image.imageId, phase: 'starting' });
      const dir = await this.artifacts.ensureDir(analysisId);
      const tracePath = join(dir, 'trace.raw');
      const seccomp = rec.seccompFrom ? await seccompUnderTest(this.repo, this.artifacts, rec.seccompFrom) : undefined;
      // A probe that can load before its sandbox exists (ebpf) does so while the sandbox is created.
      if (!onKubernetes) prepared = probe.prepare?.(tracePath, { budgetBytes: profile.limits.traceBytes });
      // A previous attempt (a worker that died) may have left its sandbox behind; a first attempt has none to reap.
      if (rec.attempts > 0) await rt.reap({ analysisId });
      const t1 = Date.now();
      sandbox = await rt.create({
        analysisId,
        image,
        runtime,
        hold: probe.attachesToProcess,
        ...(seccomp ? { seccomp } : {}),
        dockerRuntimeName: probe.dockerRuntimeName,
        cpu: !onKubernetes && probe.sharesCpuWithSample && profile.limits.cpus <= 1 ? this.nextCpu() : undefined,
        capabilities: profile.capabilities,
        limits: profile.limits,
        probe: probe.name,
        kubernetes: profile.kubernetes,
        lures: profile.lures && !onKubernetes,
        // gVisor (a `probe: gvisor` override) cannot join the simulated network: it runs with none, and the report says so.
        // On Kubernetes the simulator is a pod beside the sample's (KubernetesRuntime).
        network: profile.network === 'simulated' && (onKubernetes || runtime === 'runc') ? { mode: 'simulated', capturePath: join(dir, 'network.ndjson') } : undefined,
      });
      const t2 = Date.now();
      const staticScan = await staticPending;
      const tStatic = Date.now();
      const target = await sandbox.start();
      const t3 = Date.now();
      // A sandbox that runs its probe itself (Kubernetes sidecar or cluster sensor) hands its session back.
      const session = sandbox.attachProbe
        ? await sandbox.attachProbe(probe.name, tracePath, { budgetBytes: profile.limits.traceBytes })
        : prepared
          ? await prepared.attach(target)
          : await probe.attach(target, tracePath, { budgetBytes: profile.limits.traceBytes });
      const box = sandbox;
      session.onBudgetExceeded(() => void box.kill('budget'));
      const t4 = Date.now();
      if (ac.signal.aborted) throw new CancelledError();
      // The phase is recorded while the sample already runs (nothing waits on it).
      const observing = this.repo.update(analysisId, { phase: 'observing' });
      sandbox.release(target);
      const stim = startStimulation({ enabled: profile.stimulate, runtime: onKubernetes ? 'kubernetes' : runtime, pid: target.initPid, exposedPorts: image.exposedPorts });
      await observing;
      const exit = await sandbox.wait(ac.signal);
      const stimulation = await stim.stop();
      const t5 = Date.now();
      const probeStats = await session.stop(5000);
      const limitHits = await sandbox.limitHits();
      const output = await sandbox.output(profile.limits.outputBytes);
      const network = (await sandbox.networkStatus?.()) ?? { mode: 'none' as const };
      // The container's removal runs on while the run is analysed and stored (awaited in `finally`).
      await (sandbox.retire ? sandbox.retire() : sandbox.destroy());
      const t6 = Date.now();
      if (exit.cancelled || ac.signal.aborted) throw new CancelledError();
      if (!(await this.repo.update(analysisId, { phase: 'analyzing' }))) throw new CancelledError();
      const facts: RunFacts = {
        analysisId,
        imageRef: rec.image,
        image,
        profile,
        sandbox: { id: sandbox.id, name: sandbox.name, hostname: sandbox.hostname, runtime: onKubernetes ? 'kubernetes' : runtime },
        tracePath,
        target,
        exit,
        limitHits,
        probe: probeStats,
        output,
        timings: { resolveMs, createMs: t2 - t1, startMs: t3 - tStatic, attachMs: t4 - t3, runMs: t5 - t4, collectMs: t6 - t5 },
        startedAt,
        lures: sandbox.lures,
        stimulation,
        network,
        ...(staticScan ? { static: staticScan } : {}),
      };
      const eligibility = this.admission.eligibility(rec);
      const result = await this.analyzer.analyze(facts, probe, { from: 'run', keep: { admission: eligibility, ...(seccomp ? { seccompUnderTest: { from: rec.seccompFrom, profile: JSON.parse(seccomp) as unknown } } : {}) } });
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
      // The admission verdict follows only analyses that count for admission (ADMISSION_PROFILES).
      await this.admission.record(rec, { ...result, digest: image.digest }, finishedAt, finishedAt);
      return { analysisId, outcome: 'completed', verdict: result.verdict };
    } catch (e) {
      if (e instanceof CancelledError) return { analysisId, outcome: 'cancelled' };
      if (e instanceof SupplyChainRejection) {
        await this.reject(analysisId, e);
        throw new UnrecoverableError(e.message);
      }
      if (e instanceof SupplyChainNotFound) {
        await this.fail(analysisId, e.message);
        throw new UnrecoverableError(e.message);
      }
      // A host that cannot contain the sample (e.g. no disk quota support) fails closed, at once: retries cannot fix it.
      if (e instanceof ImageNotFoundError || e instanceof ImageVerificationError || e instanceof ContainmentUnavailableError || e instanceof SeccompSourceError) {
        await this.fail(analysisId, e.message);
        throw new UnrecoverableError(e.message);
      }
      throw e;
    } finally {
      this.cancellations.unregister(analysisId);
      await prepared?.discard();
      await sandbox?.destroy().catch((err: Error) => this.logger.error({ msg: 'sandbox removal failed', analysisId, error: err.message }));
    }
  }

  /** Marks the analysis failed (verdict `error`) — after the last attempt, or at once for unrecoverable errors. */
  async fail(analysisId: string, message: string): Promise<void> {
    await this.repo.update(analysisId, { status: 'failed', phase: 'done', verdict: 'error', error: message, finishedAt: new Date().toISOString() });
  }

  /** The supply-chain gate refused the image: terminal `rejected`, the reason in the record and the report. */
  async reject(analysisId: string, e: SupplyChainRejection): Promise<void> {
    const finishedAt = new Date().toISOString();
    const rejection = { code: e.code, reason: e.message };
    const rec = await this.repo.update(analysisId, { status: 'rejected', phase: 'done', verdict: null, error: e.message, rejection, finishedAt });
    if (!rec) return;
    this.logger.warn({ msg: 'image rejected by the supply-chain gate', analysisId, image: rec.image, code: e.code, reason: e.message });
    await this.artifacts.writeJson(analysisId, 'report.json', {
      analysisId,
      image: rec.image,
      digest: rec.digest,
      profile: rec.profile,
      status: 'rejected',
      verdict: null,
      rejection,
      supplyChain: rec.supplyChain ?? null,
      startedAt: rec.startedAt,
      finishedAt,
    });
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

}

export { topFindings } from './admission-verdict.service.js';

class CancelledError extends Error {}
