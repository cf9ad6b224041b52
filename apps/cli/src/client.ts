import { CliError, EXIT } from './exit-codes.js';
import type { Settings } from './settings.js';

/** The API's stable error body. */
interface ApiErrorBody {
  code?: string;
  message?: string;
  details?: { field?: string; message?: string }[];
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin client of the REST API: every failure becomes a one-line CliError naming what to fix. */
export class ApiClient {
  constructor(
    private readonly settings: Settings,
    private readonly timeoutMs = 30_000,
  ) {}

  async request<T = unknown>(method: string, path: string, opts: { json?: unknown; text?: string; contentType?: string; accept?: string; ok?: number[] } = {}): Promise<ApiResponse<T>> {
    if (!this.settings.apiKey) throw new CliError('no API key: set --api-key or QUARANTINE_API_KEY (or "apiKey" in the config file)', EXIT.usage);
    const headers: Record<string, string> = { authorization: `Bearer ${this.settings.apiKey}`, accept: opts.accept ?? 'application/json' };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers['content-type'] = opts.contentType ?? 'text/plain';
      body = opts.text;
    }
    let res: Response;
    try {
      res = await fetch(`${this.settings.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? (e as Error).name;
      throw new CliError(`cannot reach the API at ${this.settings.url} (${cause}): is it running? set --url or QUARANTINE_URL`, EXIT.failure);
    }
    const raw = await res.text();
    let parsed: unknown = raw;
    if ((res.headers.get('content-type') ?? '').includes('json') && raw) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
    }
    if (opts.ok ? !opts.ok.includes(res.status) : res.status >= 400) throw apiError(res.status, parsed, method, path);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

function apiError(status: number, body: unknown, method: string, path: string): CliError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ApiErrorBody;
  const detail = b.details?.find((d) => d.field)?.field;
  const what = b.message ?? (typeof body === 'string' && body ? body.slice(0, 200) : `HTTP ${status}`);
  if (status === 401) return new CliError(`the API refused the key (401): check --api-key or QUARANTINE_API_KEY`, EXIT.usage);
  if (status === 403) return new CliError(`not allowed with this key (403): ${what}`, EXIT.usage);
  if (status === 404) return new CliError(`not found (404): ${what}`, EXIT.usage);
  if (status === 429) return new CliError(`rate-limited (429): ${what}; try again later`, EXIT.failure);
  if (status >= 400 && status < 500) return new CliError(`${what}${detail ? ` (field: ${detail})` : ''}`, EXIT.usage);
  return new CliError(`the API failed on ${method} ${path} (${status}): ${what}`, EXIT.failure);
}
