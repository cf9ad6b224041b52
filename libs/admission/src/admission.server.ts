import { randomUUID } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Server, createServer } from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { ErrorCode } from '#core/errors/domain.exception';
import type { AdmissionConfig, AdmissionMode } from './admission.config.js';
import { AdmissionReviewError, type ParsedReview, type ReviewResponse, parseReview, reviewResponse } from './admission-review.js';
import type { AdmissionService } from './admission.service.js';
import { ADMISSION_HEALTH_PATH, ADMISSION_REVIEW_ROUTE, ADMISSION_VERDICTS_PREFIX } from './contract.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

class BodyTooLarge extends Error {}

/**
 * The webhook's HTTPS listener: a plain `https.Server` beside the REST app, in the same process
 * (see docs/architecture.md). Routes: `POST /admission/validate`, `POST /admission/mutate` (each also
 * as `…/enforce` and `…/warn`, the mode fixed by the webhook configuration),
 * `GET /admission/verdicts/<digest>` (the injected initContainer), `GET /admission/healthz`.
 * Every review is answered within the budget; malformed ones get a 400 error body (unreadable) or a
 * denial naming the field (readable uid). TLS files are re-read when they change.
 */
export class AdmissionServer {
  private readonly logger = new Logger(AdmissionServer.name);
  private server?: Server;
  private lastTimeoutLog = 0;
  private timeouts = 0;
  private reloads = 0;
  /** Event-loop delay of this process: what a review waits before its handler even runs. */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly config: AdmissionConfig,
    private readonly service: AdmissionService,
    /** Told every validate answer (the audit log records overrides); must not throw or block. */
    private readonly onValidated?: (review: ParsedReview, out: ReviewResponse, address: string | null, mode: AdmissionMode) => void,
    /** Told every answered review (validate and mutate) with its decision and time; must not throw or block. */
    private readonly onAnswered?: (what: 'validate' | 'mutate', allowed: boolean, mode: AdmissionMode, seconds: number, timedOut: boolean) => void,
  ) {}

  async start(): Promise<Server> {
    const { cert, key } = this.readTls();
    const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.loopDelay.enable();
    for (const f of [this.config.tlsCertFile!, this.config.tlsKeyFile!]) watchFile(f, { interval: this.config.tlsReloadMs, persistent: false }, () => this.reloadTls());
    this.logger.log(`admission webhook listening on https://${this.config.host}:${this.config.port} (budget ${this.config.budgetMs} ms, ${this.config.failOpen ? 'fail-open' : 'fail-closed'}, default mode ${this.config.defaultMode})`);
    return server;
  }

  get address(): { port: number } | undefined {
    return this.server?.address() as { port: number } | undefined;
  }

  get tlsReloads(): number {
    return this.reloads;
  }

  async stop(): Promise<void> {
    unwatchFile(this.config.tlsCertFile!);
    unwatchFile(this.config.tlsKeyFile!);
    this.loopDelay.disable();
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private readTls(): { cert: Buffer; key: Buffer } {
    return { cert: readFileSync(this.config.tlsCertFile!), key: readFileSync(this.config.tlsKeyFile!) };
  }

  /** Cert or key changed on disk: swap the context for new connections; a half-written pair is retried on the next change. */
  reloadTls(): void {
    if (!this.server) return;
    try {
      const { cert, key } = this.readTls();
      this.server.setSecureContext({ cert, key, minVersion: 'TLSv1.2' });
      this.reloads++;
      this.logger.log('admission TLS certificate reloaded');
    } catch (e) {
      this.logger.warn(`admission TLS files changed but could not be loaded (kept the previous pair): ${(e as Error).message}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://admission');
      const path = url.pathname;
      // The mode may come as a path segment (`/admission/validate/warn`: webhook configurations cannot
      // carry a query string in service.path) or as `?mode=`; otherwise the namespace's label decides.
      const route = ADMISSION_REVIEW_ROUTE.exec(path);
      if (route) {
        if (req.method !== 'POST') return this.error(res, 405, ErrorCode.ValidationFailed, `${path} accepts POST only`, [{ field: 'method', message: 'must be POST' }]);
        return await this.review(req, res, route[1] as 'validate' | 'mutate', route[2] ?? url.searchParams.get('mode'));
      }
      if (req.method === 'GET' && path.startsWith(ADMISSION_VERDICTS_PREFIX)) {
        const digest = decodeURIComponent(path.slice(ADMISSION_VERDICTS_PREFIX.length));
        if (!DIGEST.test(digest)) return this.error(res, 400, ErrorCode.ValidationFailed, 'digest must be sha256:<64 hex>', [{ field: 'digest', message: 'must be sha256:<64 hex>' }]);
        const out = await this.within(this.service.verdictOf(digest));
        if (out === TIMEOUT) return this.error(res, 503, ErrorCode.Unavailable, `no answer within ${this.config.budgetMs} ms`);
        return this.json(res, out.allowed ? 200 : 403, out);
      }
      if (req.method === 'GET' && path === ADMISSION_HEALTH_PATH) return this.json(res, 200, {
          status: 'ok',
          timeouts: this.timeouts,
          tlsReloads: this.reloads,
          ...this.service.stats(),
          // The histogram samples every 10 ms and records the whole interval: the delay is what exceeds it.
          eventLoopDelayMs: { p50: lateness(this.loopDelay.percentile(50)), p99: lateness(this.loopDelay.percentile(99)), max: lateness(this.loopDelay.max) },
        });
      return this.error(res, 404, ErrorCode.NotFound, `no route ${req.method} ${path}`);
    } catch (e) {
      const errorId = randomUUID();
      this.logger.error({ msg: 'admission request failed', errorId, error: (e as Error).stack });
      if (!res.headersSent) this.json(res, 500, { code: ErrorCode.Internal, message: 'internal error', details: [], errorId });
    }
  }

  private async review(req: IncomingMessage, res: ServerResponse, what: 'validate' | 'mutate', modeParam: string | null): Promise<void> {
    const started = Date.now();
    let raw: Buffer;
    try {
      raw = await readBody(req, this.config.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) return this.error(res, 413, ErrorCode.BodyTooLarge, `request body is larger than ${this.config.maxBodyBytes} bytes`, [{ field: 'body', message: 'too large' }]);
      throw e;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return this.error(res, 400, ErrorCode.MalformedJson, `request body is not valid JSON: ${(e as Error).message}`, [{ field: 'body', message: 'malformed JSON' }]);
    }
    if (modeParam !== null && modeParam !== 'warn' && modeParam !== 'enforce') {
      return this.error(res, 400, ErrorCode.ValidationFailed, `mode must be "enforce" or "warn", got "${modeParam}"`, [{ field: 'mode', message: 'must be enforce or warn' }]);
    }
    let review: ParsedReview;
    try {
      review = parseReview(body);
    } catch (e) {
      if (!(e instanceof AdmissionReviewError)) throw e;
      // Readable enough to answer in kind: a denial naming the field. Otherwise a 400 error body.
      if (e.uid) return this.json(res, 200, reviewResponse(e.uid, false, { code: 400, message: `Quarantine cannot judge this request: ${e.message}` }));
      return this.error(res, 400, ErrorCode.ValidationFailed, `not an AdmissionReview v1: ${e.message}`, [{ field: e.field, message: e.message.slice(e.field.length + 2) }]);
    }
    const mode = this.service.modeFor(review, (modeParam ?? undefined) as AdmissionMode | undefined);
    const work = what === 'validate' ? this.service.validate(review, mode) : this.service.mutate(review);
    // A margin (15 % of the budget, at least 5 ms) for timers firing late on a busy machine, writing
    // the answer and the trip back: measured at the client, answers still land inside the budget.
    const remaining = Math.max(1, this.config.budgetMs - (Date.now() - started) - Math.max(5, Math.round(this.config.budgetMs * 0.15)));
    let failure: string | undefined;
    let out = await this.within(work, remaining, (e) => (failure = e.message));
    const timedOut = out === TIMEOUT;
    if (out === TIMEOUT) {
      this.timeouts++;
      if (Date.now() - this.lastTimeoutLog > 1000) {
        this.lastTimeoutLog = Date.now();
        this.logger.warn({ msg: 'admission budget exceeded', budgetMs: this.config.budgetMs, failOpen: this.config.failOpen, timeouts: this.timeouts });
      }
      out = this.service.timeoutResponse(review, mode, what, failure);
    }
    this.json(res, 200, out);
    this.onAnswered?.(what, out.response.allowed, mode, (Date.now() - started) / 1000, timedOut);
    if (what === 'validate') this.onValidated?.(review, out, req.socket.remoteAddress ?? null, mode);
  }

  /** Resolves to the work's result, or TIMEOUT after `ms`; a failure counts as a timeout (fail policy applies). */
  private within<T>(work: Promise<T>, ms = this.config.budgetMs, onError?: (e: Error) => void): Promise<T | typeof TIMEOUT> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(TIMEOUT), ms);
      work.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: Error) => {
          clearTimeout(t);
          onError?.(e);
          if (Date.now() - this.lastTimeoutLog > 1000) {
            this.lastTimeoutLog = Date.now();
            this.logger.warn({ msg: 'admission lookup failed', error: e.message });
          }
          resolve(TIMEOUT);
        },
      );
    });
  }

  private json(res: ServerResponse, status: number, body: unknown | ReviewResponse): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private error(res: ServerResponse, status: number, code: string, message: string, details: { field?: string; message: string }[] = []): void {
    this.json(res, status, { code, message, details });
  }
}

const TIMEOUT = Symbol('timeout');

function lateness(ns: number): number {
  return Math.max(0, Math.round((ns / 1e6 - 10) * 100) / 100);
}

/** Reads the body up to `limit`; past it, the rest is drained (discarded) before BodyTooLarge, so the client can read the 413. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
