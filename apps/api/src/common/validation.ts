import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainException, ErrorCode, type ErrorDetail } from '#core/errors/domain.exception';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const msg of Object.values(e.constraints ?? {})) {
      out.push({ field, message: msg.startsWith(`property ${e.property} should not exist`) ? 'is not a known field' : msg });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** Global pipe: unknown fields rejected, types enforced, every error names its field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const msg = details.map((d) => `${d.field}: ${d.message}`).join('; ') || 'invalid request';
      return new DomainException(ErrorCode.ValidationFailed, 400, msg, details);
    },
  });
}
