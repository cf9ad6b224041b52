/** Stable error codes: the `code` of every JSON error body. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  BodyTooLarge = 'body_too_large',
  MalformedJson = 'malformed_json',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  UnknownProfile = 'unknown_profile',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  Unavailable = 'service_unavailable',
  QuotaExceeded = 'quota_exceeded',
  Internal = 'internal_error',
}

export interface ErrorDetail {
  field?: string;
  message: string;
}

/** The stable JSON body of every error the API answers (4xx and 5xx). */
export interface ErrorBody {
  code: string;
  message: string;
  details: ErrorDetail[];
  errorId?: string;
}

/** Domain exception: carries a code and HTTP status; one global filter turns it into the JSON body. */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainException';
  }

  static validation(field: string, message: string): DomainException {
    return new DomainException(ErrorCode.ValidationFailed, 400, `${field}: ${message}`, [{ field, message }]);
  }
  static notFound(what: string, id: string): DomainException {
    return new DomainException(ErrorCode.NotFound, 404, `${what} ${id} not found`);
  }
}
