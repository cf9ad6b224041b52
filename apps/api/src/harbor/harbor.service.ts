import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { ImageRefError, parseImageRef } from '#core/image/image-ref';
import { CONFIG } from '#core/nest/tokens';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { TERMINAL_STATUSES } from '#core/storage/analysis.types';
import { ArtifactStore } from '#core/storage/artifact.store';
import { QUARANTINE_VERSION } from '#core/version';
import type { ReportDocument } from '#analysis/reports/report-document';
import { AnalysesService } from '../analyses/analyses.service.js';
import type { CreateAnalysisDto } from '../analyses/dto/create-analysis.dto.js';
import { HarborError } from './harbor-error.js';
import { HARBOR_CONSUMES, type HarborArtifact, type HarborScanner, type HarborVulnerabilityReport, harborMetadata, harborReport } from './harbor-report.js';
import { HARBOR_CONFIG } from './harbor-token.guard.js';
import type { HarborAdapterConfig } from './harbor.config.js';

/** The owner of analyses Harbor starts: the report route serves only these. */
export const HARBOR_OWNER = 'system:harbor';
const LABEL = { repository: 'harbor/repository', tag: 'harbor/tag', mimeType: 'harbor/mime-type', registry: 'harbor/registry' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Registry repository path (distribution spec): lower-case components separated by / . _ - */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export type ReportOutcome = { state: 'running'; refreshAfter: number } | { state: 'failed'; message: string } | { state: 'done'; report: HarborVulnerabilityReport };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(v: unknown, name: string, opts: { required?: boolean; max: number; pattern?: RegExp; what?: string }): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new HarborError(422, `${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new HarborError(400, `${name} must be a string`);
  if (v.length > opts.max) throw new HarborError(422, `${name} is longer than ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new HarborError(422, `${name} is not ${opts.what}`);
  return v;
}

/**
 * Harbor's scan requests become analyses of `<registry host>/<repository>@<digest>` through the normal
 * path (AnalysesService.submit: profile, quota, the worker's supply-chain gate with TRUSTED_REGISTRIES);
 * the scan id is the analysis id. Reports are built from the stored record and report (harbor-report.ts).
 */
@Injectable()
export class HarborService {
  private readonly logger = new Logger(HarborService.name);
  readonly scanner: HarborScanner = { name: 'Quarantine', vendor: 'Quarantine', version: QUARANTINE_VERSION };

  constructor(
    private readonly analyses: AnalysesService,
    private readonly repo: AnalysisRepository,
    private readonly artifacts: ArtifactStore,
    @Inject(HARBOR_CONFIG) private readonly harbor: HarborAdapterConfig,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  metadata() {
    return harborMetadata(this.scanner, {
      'harbor.scanner-adapter/scanner-type': 'dynamic-analysis',
      'org.quarantine/profile': this.harbor.profile,
      'org.quarantine/report-severity': 'malicious=Critical, suspicious=High, inconclusive=Unknown; findings by Falco priority (docs/harbor.md)',
    });
  }

  async scan(body: unknown): Promise<{ id: string }> {
    if (!isObj(body)) throw new HarborError(400, 'the scan request must be a JSON object (ScanRequest)');
    if (!isObj(body.registry)) throw new HarborError(body.registry === undefined ? 422 : 400, 'registry is required and must be an object');
    if (!isObj(body.artifact)) throw new HarborError(body.artifact === undefined ? 422 : 400, 'artifact is required and must be an object');
    const url = field(body.registry.url, 'registry.url', { required: true, max: 2048 })!;
    // The registry credential Harbor passes: read so a wrong type is refused, never stored, logged or echoed.
    field(body.registry.authorization, 'registry.authorization', { max: 8192 });
    let host: string;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      host = u.host.toLowerCase();
    } catch {
      throw new HarborError(422, 'registry.url is not an http(s) URL');
    }
    const a = body.artifact;
    const repository = field(a.repository, 'artifact.repository', { required: true, max: 255, pattern: REPOSITORY, what: 'a repository path (lower-case name components separated by /)' })!;
    const digest = field(a.digest, 'artifact.digest', { required: true, max: 71, pattern: DIGEST, what: 'sha256:<64 lowercase hex digits>' })!;
    const tag = field(a.tag, 'artifact.tag', { max: 128, pattern: TAG, what: 'a tag' });
    const mimeType = field(a.mime_type, 'artifact.mime_type', { max: 255 });
    if (mimeType && !(HARBOR_CONSUMES as readonly string[]).includes(mimeType)) throw new HarborError(422, `artifact.mime_type ${mimeType} is not one this scanner consumes (${HARBOR_CONSUMES.join(', ')})`);
    const caps = body.enabled_capabilities;
    if (caps !== undefined && (!Array.isArray(caps) || (caps.length > 0 && !caps.some((c) => isObj(c) && c.type === 'vulnerability')))) {
      throw new HarborError(Array.isArray(caps) ? 501 : 400, Array.isArray(caps) ? 'this scanner has only the vulnerability capability' : 'enabled_capabilities must be an array');
    }
    const image = `${host}/${repository}@${digest}`;
    try {
      parseImageRef(image);
    } catch (e) {
      throw new HarborError(422, `artifact: ${image} is not a valid image reference (${e instanceof ImageRefError ? e.message : 'unparsable'})`);
    }
    const labels: Record<string, string> = { [LABEL.registry]: host, [LABEL.repository]: repository, ...(tag ? { [LABEL.tag]: tag } : {}), ...(mimeType ? { [LABEL.mimeType]: mimeType } : {}) };
    const rec = await this.analyses.submit({ image, profile: this.harbor.profile, labels } as CreateAnalysisDto, { keyId: HARBOR_OWNER, name: 'harbor scanner adapter', role: 'analyst' });
    this.logger.log({ msg: 'harbor scan accepted', analysisId: rec.id, image, tag });
    return { id: rec.id };
  }

  async report(id: string): Promise<ReportOutcome> {
    const rec = UUID.test(id) ? await this.repo.get(id) : null;
    if (!rec || rec.owner !== HARBOR_OWNER) throw new HarborError(404, `no scan request ${id.slice(0, 100)}`);
    if (!TERMINAL_STATUSES.includes(rec.status)) return { state: 'running', refreshAfter: this.harbor.refreshAfterSeconds };
    if (rec.status !== 'completed') {
      const why = rec.rejection?.reason ?? rec.error ?? 'no reason recorded';
      return { state: 'failed', message: `Quarantine analysis ${rec.id} ended ${rec.status}: ${why}` };
    }
    const artifact: HarborArtifact = {
      repository: rec.labels[LABEL.repository] ?? rec.image,
      digest: rec.supplyChain?.digest ?? rec.image.slice(rec.image.indexOf('@') + 1),
      ...(rec.labels[LABEL.tag] ? { tag: rec.labels[LABEL.tag] } : {}),
      ...(rec.labels[LABEL.mimeType] ? { mime_type: rec.labels[LABEL.mimeType] } : {}),
    };
    const report = await this.artifacts.readJson<ReportDocument>(rec.id, 'report.json').catch(() => null);
    return { state: 'done', report: harborReport({ record: rec, report, artifact, scanner: this.scanner, reportUrl: `${this.config.webhooks.publicUrl}/v1/analyses/${rec.id}/report?format=html` }) };
  }
}
