import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { toBody } from '../common/http-exception.filter.js';
import { HARBOR_MIME } from './harbor-report.js';

/** An error answered in the Scanner Adapter API's ErrorResponse shape with the spec's status. */
export class HarborError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HarborError';
  }
}

interface Res {
  headersSent: boolean;
  status(n: number): Res;
  setHeader(name: string, value: string): void;
  send(body: string): void;
  end(): void;
}

/** Writes `{"error":{"message":…}}` with the adapter's error media type. */
export function sendHarborError(res: Res, status: number, message: string): void {
  if (res.headersSent) return res.end();
  res.setHeader('Content-Type', HARBOR_MIME.error);
  res.status(status).send(JSON.stringify({ error: { message } }));
}

/**
 * Every error of the adapter's routes in the spec's shape: HarborError as thrown; the API's own
 * errors (body parsing, Redis down, quota) with their status and message; anything else 500 with an
 * error id that is also logged.
 */
@Catch()
export class HarborExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HarborAdapter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    if (exception instanceof HarborError) return sendHarborError(res, exception.status, exception.message);
    const [status, body] = toBody(exception);
    if (status >= 500 && status !== 503) {
      const errorId = randomUUID();
      this.logger.error({ msg: 'unhandled error', errorId, error: exception instanceof Error ? exception.stack : String(exception) });
      return sendHarborError(res, 500, `internal error (error id ${errorId})`);
    }
    const field = body.details[0]?.field;
    if (status === 503 || status === 429) res.setHeader('Retry-After', '5');
    sendHarborError(res, status, field && !body.message.includes(field) ? `${field}: ${body.message}` : body.message);
  }
}
