import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainException, ErrorCode, type ErrorDetail } from '#core/errors/domain.exception';

export interface ErrorBody {
  code: string;
  message: string;
  details: ErrorDetail[];
  errorId?: string;
}

interface Res {
  headersSent: boolean;
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
  503: ErrorCode.Unavailable,
};

/** Maps every error to the stable JSON body `{code, message, details}`; 500s get an errorId that is also logged. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    const [status, body] = toBody(exception);
    if (status >= 500) {
      body.errorId = randomUUID();
      this.logger.error({ msg: 'unhandled error', errorId: body.errorId, error: exception instanceof Error ? exception.stack : String(exception) });
    }
    if (res.headersSent) return res.end();
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
  // body-parser errors (raised before routing)
  const e = exception as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') {
    return [400, { code: ErrorCode.BodyTooLarge, message: 'request body is larger than the allowed maximum', details: [{ field: 'body', message: 'too large' }] }];
  }
  if (e?.type === 'entity.parse.failed') {
    return [400, { code: ErrorCode.MalformedJson, message: 'request body is not valid JSON', details: [{ field: 'body', message: 'malformed JSON' }] }];
  }
  if (e?.type && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return [400, { code: ErrorCode.ValidationFailed, message: e.message ?? 'bad request body', details: [{ field: 'body', message: e.type }] }];
  }
  return [500, { code: ErrorCode.Internal, message: 'internal error', details: [] }];
}
