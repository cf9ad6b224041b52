import { DomainException, type ErrorCode, type ErrorDetail } from '#core/errors/domain.exception';

/** A DomainException whose answer carries `Retry-After` (429 throttling, 503 deadline). */
export class RetryAfterException extends DomainException {
  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    readonly retryAfterSeconds: number,
    details: ErrorDetail[] = [],
  ) {
    super(code, status, message, details);
    this.name = 'RetryAfterException';
  }
}
