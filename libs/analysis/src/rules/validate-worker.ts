/**
 * Worker-thread entry of RulesValidationPool: validates rule sources exactly as `validateRules`
 * does, in a thread the pool can time out and terminate. Only plain data crosses the boundary.
 */
import type { RuleSource } from './types.js';
import { validateRules, type ValidationResult } from './validate.js';

export default function validateInWorker(input: { sources: RuleSource[] }): ValidationResult {
  return validateRules(input.sources);
}
