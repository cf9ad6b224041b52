import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { SecretBoxError } from '#core/secrets/secret-box';

/** Secrets that cannot be stored or read (no or wrong QUARANTINE_SECRET_KEY) are a 503 naming the variable, not a 500. */
export async function secretsAvailable<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof SecretBoxError) throw new DomainException(ErrorCode.Unavailable, 503, e.message, [{ field: 'QUARANTINE_SECRET_KEY', message: e.message }]);
    throw e;
  }
}
