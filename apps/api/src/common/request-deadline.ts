import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { type Observable, throwError } from 'rxjs';
import { ErrorCode } from '#core/errors/domain.exception';
import type { ErrorBody } from '#core/errors/domain.exception';
import { RetryAfterException } from './retry-after.exception.js';

const TIMED_OUT = Symbol('quarantine.timedOut');
type Marked = Response & { [TIMED_OUT]?: boolean };

/**
 * Every request's deadline (REQUEST_TIMEOUT_MS), from arrival to the first byte of the answer.
 * Past it, and if nothing has been sent yet, the client gets 503 with Retry-After and the stable
 * body, whatever the request was waiting for (a Redis that is down or stopped, a slow engine).
 * A streamed answer that has started is not cut. The interceptor keeps a request whose deadline
 * passed while its guards waited from reaching its handler (no late side effects).
 */
export function requestDeadline(timeoutMs: number, retryAfterSeconds = 5) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      (res as Marked)[TIMED_OUT] = true;
      const body: ErrorBody = { code: ErrorCode.Unavailable, message: `no answer within ${timeoutMs} ms: a service the API depends on is slow or unreachable; retry later`, details: [] };
      res.setHeader('Retry-After', String(retryAfterSeconds));
      res.status(503).json(body);
    }, timeoutMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

export function timedOut(res: unknown): boolean {
  return !!(res as Marked)[TIMED_OUT];
}

@Injectable()
export class DeadlineInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (timedOut(ctx.switchToHttp().getResponse())) {
      return throwError(() => new RetryAfterException(ErrorCode.Unavailable, 503, 'deadline passed before the handler ran', 5));
    }
    return next.handle();
  }
}

/** Errors of a Redis connection that is down, stopped or too slow: 503, not 500. */
export function isRedisUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    /^(Command timed out|Connection is closed\.|Stream isn't writeable and enableOfflineQueue options is false|Reached the max retries per request limit)/.test(e.message) ||
    /^connect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)/.test(e.message)
  );
}
