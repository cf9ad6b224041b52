import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { RESERVED_KEY_MESSAGE, reservedKeyPath } from './body-parsing.js';
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

/**
 * class-validator's whitelist looks property names up in a plain object, so a query parameter
 * named `constructor` or `toString` passes forbidNonWhitelisted: refuse those names first (bodies
 * are checked the same way while parsing, body-parsing.ts).
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' || metadata.type === 'body') {
      const field = reservedKeyPath(value);
      if (field) throw new DomainException(ErrorCode.ValidationFailed, 400, `${field}: ${RESERVED_KEY_MESSAGE}`, [{ field, message: RESERVED_KEY_MESSAGE }]);
    }
    return super.transform(value, metadata);
  }
}

/** Global pipe: unknown fields rejected, types enforced, every error names its field. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
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
