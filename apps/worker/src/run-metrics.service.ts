import { Injectable, Logger } from '@nestjs/common';
import { type FinishedAnalysis, Metrics, recordFinished } from '#core/metrics/metrics';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { TERMINAL_STATUSES } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';

/** Records a finished analysis in the worker's metrics (docs/metrics.md), from its record and report; never fails the job. */
@Injectable()
export class RunMetrics {
  private readonly logger = new Logger(RunMetrics.name);

  constructor(
    private readonly metrics: Metrics,
    private readonly repo: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
  ) {}

  async analysisFinished(analysisId: string): Promise<void> {
    try {
      const rec = await this.repo.get(analysisId);
      if (!rec || !TERMINAL_STATUSES.includes(rec.status)) return;
      const report = rec.status === 'completed' ? await this.artifacts.readJson<FinishedAnalysis['report']>(analysisId, 'report.json') : null;
      recordFinished(this.metrics, { status: rec.status, verdict: rec.verdict, profile: rec.profile, probe: rec.probe, report });
    } catch (e) {
      this.logger.warn({ msg: 'metrics not recorded', analysisId, error: (e as Error).message });
    }
  }

  delivery(outcome: string, seconds: number): void {
    this.metrics.webhookDeliveries.inc({ outcome });
    this.metrics.webhookDeliverySeconds.observe({ outcome }, seconds);
  }
}
