import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { RuleLimitViolation, ValidationResult } from '#analysis';
import { RulesValidationBusy, RulesValidationOutOfMemory, RulesValidationPool, RulesValidationTimeout, type RulesValidationPoolOptions } from '#analysis/rules/validate-pool';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';

export const RULES_VALIDATION_OPTIONS = Symbol('RULES_VALIDATION_OPTIONS');

function where(l: RuleLimitViolation): string {
  return l.line !== undefined ? ` (${l.file ?? 'body'}:${l.line}${l.column !== undefined ? `:${l.column}` : ''})` : '';
}

/**
 * Validates user rule files in worker threads (RulesValidationPool) and maps what cannot be
 * validated to the stable error body: a file over a limit → 400 naming each item and field, one
 * that runs past the time or heap limit → 422, too many at once → 503.
 */
@Injectable()
export class RulesValidationService implements OnModuleDestroy {
  private readonly pool: RulesValidationPool;

  constructor(@Inject(RULES_VALIDATION_OPTIONS) options: RulesValidationPoolOptions) {
    this.pool = new RulesValidationPool(options);
  }

  async validate(text: string): Promise<ValidationResult> {
    let result: ValidationResult;
    try {
      result = await this.pool.validate([{ name: 'request.yaml', text }]);
    } catch (e) {
      if (e instanceof RulesValidationTimeout || e instanceof RulesValidationOutOfMemory) {
        throw new DomainException(ErrorCode.ValidationFailed, 422, `body: ${e.message}`, [{ field: 'body', message: e.message }]);
      }
      if (e instanceof RulesValidationBusy) throw new DomainException(ErrorCode.Unavailable, 503, e.message, []);
      throw e;
    }
    if (result.limits.length > 0) {
      const details = result.limits.map((l) => ({ field: l.field, message: `${l.message}${where(l)}` }));
      throw new DomainException(ErrorCode.ValidationFailed, 400, `rules file exceeds a limit: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
    }
    return result;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }
}
