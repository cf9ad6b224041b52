import { envInt as int } from '#core/config/config';
import type { RulesValidationPoolOptions } from '#analysis/rules/validate-pool';

type Env = Record<string, string | undefined>;


/** Settings of `POST /v1/rules/validate`'s worker threads (environment), validated at boot. */
export function loadRulesValidationConfig(env: Env): RulesValidationPoolOptions {
  return {
    timeoutMs: int(env, 'RULES_VALIDATE_TIMEOUT_MS', 5_000, 200, 120_000),
    maxHeapMb: int(env, 'RULES_VALIDATE_MAX_HEAP_MB', 256, 32, 4_096),
    threads: int(env, 'RULES_VALIDATE_THREADS', 1, 1, 16),
    maxQueue: int(env, 'RULES_VALIDATE_MAX_QUEUE', 8, 0, 1_000),
  };
}
