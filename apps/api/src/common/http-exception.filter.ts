import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainException, type ErrorBody, ErrorCode } from '#core/errors/domain.exception';
import { RESERVED_KEY_MESSAGE } from './body-parsing.js';
import { isRedisUnavailable, timedOut } from './request-deadline.js';
import { RetryAfterException } from './retry-after.exception.js';

export type { ErrorBody };

interface Res {
  headersSent: boolean;
  setHeader(name: string, value: string): void;
  status(n: number): Res;
  json(b: unknown): void;
  end(): void;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.BodyTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
};

/** Maps every error to the stable JSON body `{code, message, details}`; 500s get an errorId that is also logged. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    // The request's deadline already answered 503 (request-deadline.ts): what the handler did later goes nowhere.
    if (res.headersSent && timedOut(res)) return res.end();
    const [status, body] = toBody(exception);
    if (status >= 500) {
      body.errorId = randomUUID();
      this.logger.error({ msg: 'unhandled error', errorId: body.errorId, error: exception instanceof Error ? exception.stack : String(exception) });
    }
    if (res.headersSent) return res.end();
    if (exception instanceof RetryAfterException) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    else if (status === 503) res.setHeader('Retry-After', '5');
    res.status(status).json(body);
  }
}

export function toBody(exception: unknown): [number, ErrorBody] {
  if (exception instanceof DomainException) {
    return [exception.status, { code: exception.code, message: exception.message, details: exception.details }];
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const resp = exception.getResponse();
    const message = typeof resp === 'string' ? resp : ((resp as { message?: unknown }).message ?? exception.message);
    return [status, { code: STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.Internal : 'error'), message: Array.isArray(message) ? message.join('; ') : String(message), details: [] }];
  }
  const parsed = bodyErrorToBody(exception);
  if (parsed) return parsed;
  if (isRedisUnavailable(exception)) {
    return [503, { code: ErrorCode.Unavailable, message: 'storage (Redis) is unreachable or too slow; retry later', details: [] }];
  }
  return [500, { code: ErrorCode.Internal, message: 'internal error', details: [] }];
}

/**
 * Errors raised while reading a request body (body-parser's typed errors, zlib's inflate errors,
 * our BodyError), mapped to their 4xx and the stable body; null for anything else.
 */
export function bodyErrorToBody(exception: unknown): [number, ErrorBody] | null {
  const e = exception as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown; code?: unknown; field?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  const type = typeof e.type === 'string' ? e.type : undefined;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const field = typeof e.field === 'string' ? e.field : 'body';
  const msg = (m: string, code: string = ErrorCode.ValidationFailed, s = 400, detail = m): [number, ErrorBody] => [s, { code, message: m, details: [{ field, message: detail }] }];
  switch (type) {
    case 'entity.too.large':
      // 400 rather than 413: the API's contract since its first version (docs/api.md).
      return msg('request body is larger than the allowed maximum', ErrorCode.BodyTooLarge, 400, 'too large');
    case 'entity.parse.failed':
      return [400, { code: ErrorCode.MalformedJson, message: typeof e.message === 'string' && e.message.startsWith('request body') ? e.message : 'request body is not valid JSON', details: [{ field: 'body', message: 'malformed JSON' }] }];
    case 'entity.too.deep':
      return msg(String(e.message), ErrorCode.ValidationFailed, 400, 'nested too deeply');
    case 'entity.reserved.key':
      return msg(String(e.message), ErrorCode.ValidationFailed, 400, RESERVED_KEY_MESSAGE);
    case 'encoding.unsupported':
      return msg(`unsupported Content-Encoding (identity, gzip, deflate and br are understood)`, ErrorCode.UnsupportedMediaType, 415, 'unsupported Content-Encoding');
    case 'charset.unsupported':
      return msg('unsupported charset in Content-Type', ErrorCode.UnsupportedMediaType, 415, 'unsupported charset');
    case 'request.aborted':
      return msg('the request was aborted before its body was complete', ErrorCode.ValidationFailed, 400, 'incomplete');
    case 'request.size.invalid':
      return msg('request body length does not match Content-Length', ErrorCode.ValidationFailed, 400, 'length mismatch');
    default:
  }
  // zlib / brotli errors while inflating a body whose Content-Encoding says it is compressed.
  if (typeof e.code === 'string' && /^(Z_|ERR_?_?ERROR_FORMAT|ERR__|ERR_BROTLI|ERR_ZLIB)/.test(e.code)) {
    return msg('request body could not be decompressed as its Content-Encoding says', ErrorCode.ValidationFailed, 400, 'not valid for its Content-Encoding');
  }
  if (type && status !== undefined && status >= 400 && status < 500) {
    return msg(typeof e.message === 'string' ? e.message.slice(0, 200) : 'bad request body', ErrorCode.ValidationFailed, 400, type);
  }
  // Any other client error body-parser (or http-errors) marked as such.
  if (!(exception instanceof Error) || status === undefined || status < 400 || status >= 500 || !('expose' in e)) return null;
  return msg('bad request body', ErrorCode.ValidationFailed, 400, 'unreadable');
}
