import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { type ImageRef, ImageRefError, parseImageRef } from '#core/image/image-ref';
import type { VerdictCacheEntry } from '#core/storage/analysis.types';
import { Keys } from '#core/storage/redis-keys';
import type { AdmissionConfig, AdmissionMode } from './admission.config.js';
import { INIT_CONTAINER_NAME, VERDICT_CHECK_PROGRAM } from './contract.js';
import { type ImageUse, type ParsedReview, type ReviewResponse, reviewResponse } from './admission-review.js';
import type { NamespaceModes } from './namespace-mode.cache.js';
import type { TagResolver } from './tag.cache.js';
import type { VerdictCache } from './verdict.cache.js';
import { type VulnerabilityPolicySource, vulnerabilityVerdict } from './vulnerability-policy.js';
import { deniedStatic } from './static-policy.js';

/** What admission knows about one image, from the caches only. */
export type Assessment =
  | { image: string; state: 'clean'; digest: string; entry: VerdictCacheEntry }
  | { image: string; state: 'malicious' | 'suspicious'; digest: string; entry: VerdictCacheEntry }
  | { image: string; state: 'not-cleared'; digest: string; entry: VerdictCacheEntry }
  | { image: string; state: 'unattested'; digest: string; entry: VerdictCacheEntry; reason: string }
  /** Clean behaviour, but the vulnerability policy (ADMISSION_MAX_SEVERITY / ADMISSION_REQUIRE_VULNERABILITY_REPORT) does not clear it. */
  | { image: string; state: 'vulnerable'; digest: string; entry: VerdictCacheEntry; reason: string }
  | { image: string; state: 'static-policy'; digest: string; entry: VerdictCacheEntry; checks: string[] }
  | { image: string; state: 'unknown' | 'stale'; digest: string; entry?: VerdictCacheEntry; enqueued: boolean; analysis?: PendingAnalysis }
  | { image: string; state: 'unresolved'; reason: string };

/** The analysis admission queued for a digest, as far as it has got. */
export interface PendingAnalysis {
  id: string;
  status: string;
  error?: string | null;
}

/** ADMISSION_REQUIRE_ATTESTATION: null when the digest's clean verdict has a valid attestation, else why not (#core/attestations/attestation-checker). */
export interface AttestationRequirement {
  check(digest: string, entry: VerdictCacheEntry): Promise<string | null>;
}

/** Submits analyses (deduplicated). The API's AnalysesService in production. */
export interface AnalysisSubmitter {
  submit(image: string, profile: string): Promise<{ id: string }>;
}

export { INIT_CONTAINER_NAME };

/**
 * The admission policy, answering only from caches: an in-process copy of the verdict cache, tags
 * resolved through a short-TTL cache, namespace modes learnt from Namespace reviews. It never
 * analyses: unknown or stale digests are queued (once per digest, see `requestAnalysis`) and denied
 * (enforce) or allowed with a warning (warn). The HTTP layer bounds every call by the budget.
 */
export class AdmissionService {
  private readonly logger = new Logger(AdmissionService.name);
  /** Local dedup in front of Redis, so a storm of reviews for one digest costs one enqueue attempt a minute. */
  private readonly recentRequests = new Map<string, number>();

  constructor(
    private readonly config: AdmissionConfig,
    private readonly verdicts: VerdictCache,
    private readonly tags: TagResolver,
    readonly namespaces: NamespaceModes,
    private readonly redis: Redis,
    private readonly submitter: AnalysisSubmitter,
    private readonly trustedRegistries: readonly string[],
    private readonly attestations?: AttestationRequirement,
    private readonly vulnerabilities?: VulnerabilityPolicySource,
  ) {}

  stats(): { verdictCacheEntries: number; verdictSubscription: boolean } {
    return { verdictCacheEntries: this.verdicts.size, verdictSubscription: this.verdicts.subscribed };
  }

  modeFor(review: ParsedReview, override?: AdmissionMode): AdmissionMode {
    return override ?? this.namespaces.modeOf(review.namespace);
  }

  async validate(review: ParsedReview, mode: AdmissionMode): Promise<ReviewResponse> {
    const { uid } = review;
    if (review.kind === 'Namespace' && review.operation === 'DELETE' && review.name) {
      await this.namespaces.forget(review.name);
      return reviewResponse(uid, true);
    }
    if (review.operation === 'DELETE' || review.operation === 'CONNECT') return reviewResponse(uid, true);
    if (review.namespaceLabels) {
      const name = review.namespaceName ?? review.name;
      if (name) await this.namespaces.learn(name, review.namespaceLabels);
      return reviewResponse(uid, true);
    }
    if (review.images.length === 0) return reviewResponse(uid, true);
    if (this.namespaces.isSandbox(review.namespace)) {
      return reviewResponse(uid, true, { warnings: [`namespace ${review.namespace} is a Quarantine sandbox namespace: images not checked`] });
    }
    const unique = [...new Set(review.images.map((u) => u.image))];
    const assessments = await Promise.all(unique.map((image) => this.assess(image, review.dryRun)));
    return decide(uid, review, assessments, mode, this.config.maxAgeMs);
  }

  /** Looks one image up in the caches; queues an analysis for unknown or stale digests. */
  async assess(image: string, dryRun = false): Promise<Assessment> {
    let ref: ImageRef;
    try {
      ref = parseImageRef(image);
    } catch (e) {
      return { image, state: 'unresolved', reason: `not a valid image reference (${e instanceof ImageRefError ? e.message : 'unparsable'})` };
    }
    let digest = ref.digest;
    if (!digest) {
      if (!ref.registry) return { image, state: 'unresolved', reason: 'a tag without a registry cannot be resolved here: pin the image by digest' };
      if (!this.isTrusted(ref.registry)) return { image, state: 'unresolved', reason: `registry ${ref.registry} is not trusted (TRUSTED_REGISTRIES)` };
      try {
        digest = await this.tags.resolve(ref);
      } catch (e) {
        return { image, state: 'unresolved', reason: `tag could not be resolved: ${(e as Error).message}` };
      }
    }
    const entry = await this.verdicts.get(digest);
    if (!entry) return { image, state: 'unknown', digest, enqueued: this.requestAnalysis(ref, digest, dryRun), analysis: await this.pending(digest) };
    if (Date.now() - Date.parse(entry.at) > this.config.maxAgeMs) {
      return { image, state: 'stale', digest, entry, enqueued: this.requestAnalysis(ref, digest, dryRun), analysis: await this.pending(digest) };
    }
    if (entry.verdict === 'clean') {
      const checks = deniedStatic(entry, this.config.denyStatic ?? []);
      if (checks.length) return { image, state: 'static-policy', digest, entry, checks };
      if (this.config.requireAttestation) {
        const why = this.attestations ? await this.attestations.check(digest, entry) : 'no attestation checker is configured';
        if (why) return { image, state: 'unattested', digest, entry, reason: why };
      }
      const reason = await vulnerabilityVerdict(this.config, this.vulnerabilities, digest);
      return reason ? { image, state: 'vulnerable', digest, entry, reason } : { image, state: 'clean', digest, entry };
    }
    if (entry.verdict === 'malicious' || entry.verdict === 'suspicious') return { image, state: entry.verdict, digest, entry };
    return { image, state: 'not-cleared', digest, entry };
  }

  /** The analysis queued earlier for this digest and its status (a rejected one says why). Best effort: never fails the review. */
  private async pending(digest: string): Promise<PendingAnalysis | undefined> {
    try {
      const id = await this.redis.get(Keys.admissionPending(digest));
      if (!id || id === 'pending') return undefined;
      const [status, error] = await this.redis.hmget(Keys.analysis(id), 'status', 'error');
      if (!status) return undefined;
      return { id, status: JSON.parse(status) as string, error: error ? (JSON.parse(error) as string | null) : null };
    } catch {
      return undefined;
    }
  }

  private isTrusted(registry: string): boolean {
    return this.trustedRegistries.some((r) => r.toLowerCase() === registry.toLowerCase());
  }

  /**
   * Queues an analysis of `name@digest`, at most once per digest: a local one-minute memory, then
   * a Redis key (SET NX, 10 minutes) shared by every API replica. Fire and forget: the admission
   * call never waits for it. Skipped for dry runs (the webhook declares sideEffects NoneOnDryRun).
   */
  requestAnalysis(ref: ImageRef, digest: string, dryRun: boolean): boolean {
    if (dryRun) return false;
    const now = Date.now();
    const until = this.recentRequests.get(digest);
    if (until !== undefined && until > now) return true;
    if (this.recentRequests.size > 10_000) this.recentRequests.clear();
    this.recentRequests.set(digest, now + 60_000);
    const image = ref.registry || ref.digest ? `${ref.name}@${digest}` : ref.raw;
    void (async () => {
      const won = await this.redis.set(Keys.admissionPending(digest), 'pending', 'EX', 600, 'NX');
      if (won !== 'OK') return;
      const rec = await this.submitter.submit(image, this.config.profile);
      await this.redis.set(Keys.admissionPending(digest), rec.id, 'EX', 600).catch(() => undefined);
      this.logger.log({ msg: 'admission queued an analysis', analysisId: rec.id, image, digest });
    })().catch((e: Error) => {
      this.recentRequests.delete(digest);
      this.logger.warn({ msg: 'admission could not queue an analysis', image, digest, error: e.message });
    });
    return true;
  }

  /** Mutate: tags → the digests they resolve to now (what validation then judges), optional initContainer. */
  async mutate(review: ParsedReview): Promise<ReviewResponse> {
    const { uid } = review;
    if (review.operation === 'DELETE' || review.operation === 'CONNECT' || review.images.length === 0 || !review.podSpecPointer) return reviewResponse(uid, true);
    const patch: unknown[] = [];
    const warnings: string[] = [];
    const digests = new Set<string>();
    await Promise.all(
      review.images.map(async (use: ImageUse) => {
        let ref: ImageRef;
        try {
          ref = parseImageRef(use.image);
        } catch {
          return;
        }
        if (ref.digest) {
          digests.add(ref.digest);
          return;
        }
        if (!ref.registry || !this.isTrusted(ref.registry)) {
          warnings.push(`${use.container}: ${use.image} left as is (no trusted registry to resolve its tag)`);
          return;
        }
        try {
          const digest = await this.tags.resolve(ref);
          digests.add(digest);
          patch.push({ op: 'replace', path: use.pointer, value: `${ref.name}:${ref.tag ?? 'latest'}@${digest}` });
        } catch (e) {
          warnings.push(`${use.container}: ${use.image} left as is (${(e as Error).message})`);
        }
      }),
    );
    patch.sort((a, b) => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1));
    // Not on a Pod UPDATE: a Pod's initContainers cannot change after creation (workload templates can).
    if (this.config.injectInit && digests.size > 0 && (review.operation === 'CREATE' || review.kind !== 'Pod')) {
      const spec = review.podSpec ?? {};
      const inits = Array.isArray(spec.initContainers) ? (spec.initContainers as { name?: string }[]) : undefined;
      if (!inits?.some((c) => c.name === INIT_CONTAINER_NAME)) {
        const container = this.initContainer([...digests].sort());
        patch.push(inits ? { op: 'add', path: `${review.podSpecPointer}/initContainers/0`, value: container } : { op: 'add', path: `${review.podSpecPointer}/initContainers`, value: [container] });
      }
    }
    return reviewResponse(uid, true, { patch, warnings });
  }

  /** The injected initContainer: asks this webhook's `/admission/verdicts/<digest>` for each digest at pod start; exits non-zero unless all are cleared. */
  initContainer(digests: string[]): Record<string, unknown> {
    return {
      name: INIT_CONTAINER_NAME,
      image: this.config.initImage,
      command: ['node', VERDICT_CHECK_PROGRAM],
      args: digests,
      env: [{ name: 'QUARANTINE_VERDICT_URL', value: this.config.verdictUrl }],
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
      securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    };
  }

  /** What the initContainer asks: is this digest cleared right now? */
  async verdictOf(digest: string): Promise<{ digest: string; allowed: boolean; verdict: string | null; analysisId?: string; at?: string; reason: string }> {
    const entry = await this.verdicts.get(digest);
    if (!entry) return { digest, allowed: false, verdict: null, reason: 'never analysed' };
    const stale = Date.now() - Date.parse(entry.at) > this.config.maxAgeMs;
    const checks = entry.verdict === 'clean' && !stale ? deniedStatic(entry, this.config.denyStatic ?? []) : [];
    if (checks.length) return { digest, allowed: false, verdict: entry.verdict, analysisId: entry.analysisId, at: entry.at, reason: `static checks denied by policy (ADMISSION_DENY_STATIC): ${checks.join(', ')}` };
    if (entry.verdict === 'clean' && !stale && this.config.requireAttestation) {
      const why = this.attestations ? await this.attestations.check(digest, entry) : 'no attestation checker is configured';
      if (why) return { digest, allowed: false, verdict: entry.verdict, analysisId: entry.analysisId, at: entry.at, reason: `clean, but ${why}` };
    }
    const vulnerable = entry.verdict === 'clean' && !stale ? await vulnerabilityVerdict(this.config, this.vulnerabilities, digest) : null;
    const allowed = entry.verdict === 'clean' && !stale && !vulnerable;
    return { digest, allowed, verdict: entry.verdict, analysisId: entry.analysisId, at: entry.at, reason: stale ? `verdict from ${entry.at} is stale` : vulnerable ? `clean, but ${vulnerable}` : allowed ? 'clean' : `verdict ${entry.verdict}` };
  }

  /** The answer when the budget runs out: deny (fail closed) unless fail-open or warn mode. */
  timeoutResponse(review: ParsedReview, mode: AdmissionMode, what: 'validate' | 'mutate', failure?: string): ReviewResponse {
    const why = failure
      ? `Quarantine could not decide: the verdict cache is unreachable (${failure})`
      : `Quarantine could not decide within ${this.config.budgetMs} ms (verdict cache or registry slow or unreachable)`;
    if (what === 'mutate') return reviewResponse(review.uid, true, { warnings: [`${why}: images not pinned to digests`] });
    if (this.config.failOpen || mode === 'warn') return reviewResponse(review.uid, true, { warnings: [`${why}; allowed (${this.config.failOpen ? 'fail-open' : 'warn mode'})`] });
    return reviewResponse(review.uid, false, { code: 503, message: `${why}; denied (fail closed). Retry shortly.` });
  }
}

function describeFindings(entry: VerdictCacheEntry): string {
  const f = entry.topFindings ?? [];
  return f.length > 0 ? `top findings: ${f.map((x) => `${x.rule} (${x.priority})`).join(', ')}` : 'no findings recorded';
}

function progress(analysis: PendingAnalysis | undefined, enqueued: boolean, queued: string): string {
  if (!analysis) return enqueued ? `; ${queued}` : '';
  if (analysis.status === 'rejected' || analysis.status === 'failed') return `; analysis ${analysis.id} was ${analysis.status}: ${analysis.error ?? 'no reason recorded'}`;
  return `; analysis ${analysis.id} is ${analysis.status}`;
}

/** Turns per-image assessments into one answer. Malicious and suspicious are denied in every mode. */
export function decide(uid: string, review: ParsedReview, assessments: Assessment[], mode: AdmissionMode, maxAgeMs: number): ReviewResponse {
  const denials: string[] = [];
  const pending: string[] = [];
  for (const a of assessments) {
    switch (a.state) {
      case 'clean':
        break;
      case 'malicious':
      case 'suspicious':
        denials.push(`image ${a.image} (${a.digest}) is ${a.state} (score ${a.entry.score}; ${describeFindings(a.entry)}; analysis ${a.entry.analysisId})`);
        break;
      case 'vulnerable':
        pending.push(`image ${a.image} is not cleared: ${a.reason} (behaviour clean, analysis ${a.entry.analysisId})`);
        break;
      case 'static-policy':
        pending.push(`image ${a.image} (${a.digest}) is clean but fails the static policy (ADMISSION_DENY_STATIC): ${a.checks.join(', ')} (analysis ${a.entry.analysisId})`);
        break;
      case 'not-cleared':
        pending.push(`image ${a.image} (${a.digest}) is not cleared: its analysis ${a.entry.analysisId} ended ${a.entry.verdict}`);
        break;
      case 'unattested':
        pending.push(`image ${a.image} (${a.digest}) is clean (analysis ${a.entry.analysisId}) but ADMISSION_REQUIRE_ATTESTATION is on and ${a.reason}`);
        break;
      case 'unknown':
        pending.push(`image ${a.image} (${a.digest}) has not been analysed${progress(a.analysis, a.enqueued, 'an analysis was queued')}`);
        break;
      case 'stale':
        pending.push(`image ${a.image} (${a.digest}) has a stale verdict (${a.entry?.verdict} from ${a.entry?.at}, older than ${Math.round(maxAgeMs / 3_600_000)} h)${progress(a.analysis, a.enqueued, 'a new analysis was queued')}`);
        break;
      case 'unresolved':
        pending.push(`image ${a.image}: ${a.reason}`);
        break;
    }
  }
  const where = `${review.kind}${review.name ? ` ${review.name}` : ''}${review.namespace ? ` in ${review.namespace}` : ''}`;
  if (denials.length > 0) {
    return reviewResponse(uid, false, { message: `Quarantine denied ${where}: ${[...denials, ...pending].join('; ')}`, warnings: mode === 'warn' ? pending : undefined });
  }
  if (pending.length === 0) return reviewResponse(uid, true);
  if (mode === 'warn') return reviewResponse(uid, true, { warnings: pending.map((p) => `Quarantine (warn mode): ${p}`) });
  return reviewResponse(uid, false, { message: `Quarantine denied ${where} (enforce mode): ${pending.join('; ')}` });
}
