import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Quarantine's Prometheus metrics (prom-client), one registry per process (`process` label: api or
 * worker). The names are documented in docs/metrics.md; the API serves them at GET /metrics, the worker
 * on its own port (METRICS_PORT). Values that are states of the world (queue depth, Redis and Docker
 * reachability) are read when scraped, through the collectors the process registers.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly analysesSubmitted: Counter<'profile'>;
  readonly analysesFinished: Counter<'status' | 'verdict' | 'profile' | 'probe'>;
  readonly phaseSeconds: Histogram<'phase'>;
  readonly probeEvents: Counter<'probe'>;
  readonly probeLostEvents: Counter<'probe'>;
  readonly limitHits: Counter<'limit'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookDeliverySeconds: Histogram<'outcome'>;
  readonly admissionReviews: Counter<'decision' | 'mode'>;
  readonly attestations: Counter<'status'>;
  readonly attestationSeconds: Histogram<'status'>;
  readonly admissionReviewSeconds: Histogram<'decision'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  readonly dependencyUp: Gauge<'dependency'>;

  constructor(processName: 'api' | 'worker') {
    this.registry.setDefaultLabels({ process: processName });
    collectDefaultMetrics({ register: this.registry, prefix: 'quarantine_' });
    const r = [this.registry];
    this.analysesSubmitted = new Counter({ name: 'quarantine_analyses_submitted_total', help: 'Analyses accepted by the API (202), by profile', labelNames: ['profile'], registers: r });
    this.analysesFinished = new Counter({ name: 'quarantine_analyses_finished_total', help: 'Analyses that reached a terminal state in this worker, by status, verdict, profile and probe', labelNames: ['status', 'verdict', 'profile', 'probe'], registers: r });
    this.phaseSeconds = new Histogram({ name: 'quarantine_detonation_phase_seconds', help: "Time in each detonation phase (resolve, create, start, attach, run, collect, analyze), from the reports' timings", labelNames: ['phase'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: r });
    this.probeEvents = new Counter({ name: 'quarantine_probe_events_total', help: 'Normalized events the probes produced', labelNames: ['probe'], registers: r });
    this.probeLostEvents = new Counter({ name: 'quarantine_probe_lost_events_total', help: 'Events the probes reported lost (ring buffer overruns, unparsed records)', labelNames: ['probe'], registers: r });
    this.limitHits = new Counter({ name: 'quarantine_sandbox_limit_hits_total', help: 'Analyses in which a sandbox limit was hit, by limit (pids, memory, disk, trace, output, window)', labelNames: ['limit'], registers: r });
    this.webhookDeliveries = new Counter({ name: 'quarantine_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: r });
    this.webhookDeliverySeconds = new Histogram({ name: 'quarantine_webhook_delivery_seconds', help: 'Latency of webhook delivery attempts', labelNames: ['outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r });
    this.admissionReviews = new Counter({ name: 'quarantine_admission_reviews_total', help: 'Admission reviews answered, by decision (allowed, denied, error) and mode', labelNames: ['decision', 'mode'], registers: r });
    this.admissionReviewSeconds = new Histogram({ name: 'quarantine_admission_review_seconds', help: 'Time to answer an admission review', labelNames: ['decision'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5], registers: r });
    this.attestations = new Counter({ name: 'quarantine_attestations_total', help: 'Verdict attestations by outcome (attached, signed, not-applicable, failed): docs/attestations.md', labelNames: ['status'], registers: r });
    this.attestationSeconds = new Histogram({ name: 'quarantine_attestation_seconds', help: 'Time to sign, store and attach one verdict attestation', labelNames: ['status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r });
    this.queueJobs = new Gauge({ name: 'quarantine_queue_jobs', help: 'Jobs in each queue by state (read when scraped)', labelNames: ['queue', 'state'], registers: r });
    this.dependencyUp = new Gauge({ name: 'quarantine_dependency_up', help: 'Whether a dependency answered when scraped (1) or not (0): redis, docker', labelNames: ['dependency'], registers: r });
  }

  /** Runs before each scrape (queue depth, reachability); a failing collector never fails the scrape. */
  private readonly collectors: (() => Promise<void>)[] = [];

  onScrape(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((c) => c().catch(() => undefined)));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** What a finished analysis' report says, recorded once per analysis (worker). */
export interface FinishedAnalysis {
  status: string;
  verdict: string | null;
  profile: string;
  probe: string;
  report?: {
    timings?: Record<string, number | undefined>;
    probe?: { name?: string; events?: number; lost?: number; budgetExceeded?: boolean };
    limits?: { pidsLimitHits?: number; oomKills?: number; diskLimitHits?: number };
    exit?: { oomKilled?: boolean; windowExpired?: boolean };
    output?: { stdoutTruncated?: boolean; stderrTruncated?: boolean };
  } | null;
}

const PHASES: [string, string][] = [['resolveMs', 'resolve'], ['createMs', 'create'], ['startMs', 'start'], ['attachMs', 'attach'], ['runMs', 'run'], ['collectMs', 'collect'], ['analyzeMs', 'analyze']];

export function recordFinished(m: Metrics, a: FinishedAnalysis): void {
  m.analysesFinished.inc({ status: a.status, verdict: a.verdict ?? 'none', profile: a.profile, probe: a.probe });
  const r = a.report;
  if (!r) return;
  for (const [key, phase] of PHASES) {
    const ms = r.timings?.[key];
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) m.phaseSeconds.observe({ phase }, ms / 1000);
  }
  const probe = r.probe?.name ?? a.probe;
  if (r.probe?.events) m.probeEvents.inc({ probe }, r.probe.events);
  if (r.probe?.lost) m.probeLostEvents.inc({ probe }, r.probe.lost);
  const hits: [string, boolean][] = [
    ['pids', (r.limits?.pidsLimitHits ?? 0) > 0],
    ['memory', (r.limits?.oomKills ?? 0) > 0 || r.exit?.oomKilled === true],
    ['disk', (r.limits?.diskLimitHits ?? 0) > 0],
    ['trace', r.probe?.budgetExceeded === true],
    ['output', r.output?.stdoutTruncated === true || r.output?.stderrTruncated === true],
    ['window', r.exit?.windowExpired === true],
  ];
  for (const [limit, hit] of hits) if (hit) m.limitHits.inc({ limit });
}
