/**
 * Rule validation off the caller's thread. A rules file from a user is parsed and compiled in a
 * worker thread (piscina) with a time limit and a heap limit: whatever the file does, the
 * caller's event loop stays free, a validation that runs past `timeoutMs` or its heap is
 * terminated (the thread is discarded and a fresh one started), and at most `maxQueue` requests
 * wait for a thread. One thread is kept warm (the rule engine loaded) so the time limit measures
 * the validation, not a thread's start.
 */
import { Piscina } from 'piscina';
import { workerEntry } from '../worker-entry.js';
import type { RuleSource } from './types.js';
import type { ValidationResult } from './validate.js';

export interface RulesValidationPoolOptions {
  /** A validation still running after this is terminated (RulesValidationTimeout). */
  timeoutMs: number;
  /** V8 old-generation heap of a validation thread, MB (RulesValidationOutOfMemory past it). */
  maxHeapMb: number;
  /** Validation threads at most (started on demand, stopped when idle). */
  threads: number;
  /** Validations waiting for a thread at most (RulesValidationBusy past it). */
  maxQueue: number;
}

export class RulesValidationTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`rules file too complex to validate in ${timeoutMs / 1000} s`);
    this.name = 'RulesValidationTimeout';
  }
}

export class RulesValidationOutOfMemory extends Error {
  constructor(readonly maxHeapMb: number) {
    super(`rules file too large to validate within ${maxHeapMb} MB`);
    this.name = 'RulesValidationOutOfMemory';
  }
}

export class RulesValidationBusy extends Error {
  constructor() {
    super('too many rule validations in progress; retry shortly');
    this.name = 'RulesValidationBusy';
  }
}

export class RulesValidationPool {
  private readonly pool: Piscina;
  /** A warm-up task: the time limit counts validation, not a new thread loading the rule engine. */
  private ready: Promise<unknown>;

  constructor(readonly options: RulesValidationPoolOptions) {
    const entry = workerEntry(import.meta.url, 'validate-worker');
    this.pool = new Piscina({
      filename: entry.filename,
      execArgv: entry.execArgv,
      minThreads: 1,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, options.maxHeapMb >> 3)), stackSizeMb: 4 },
    });
    this.ready = this.warmUp();
  }

  private warmUp(): Promise<unknown> {
    return this.pool.run({ sources: [] }).catch(() => undefined);
  }

  /** Resolves once a thread has loaded the rule engine (tests wait for it; validate() does too). */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  async validate(sources: RuleSource[]): Promise<ValidationResult> {
    await this.ready;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return (await this.pool.run({ sources }, { signal })) as ValidationResult;
    } catch (e) {
      const err = e as { name?: string; code?: string; message?: string };
      if (signal.aborted || err.name === 'AbortError' || err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        // The thread was terminated: load the engine in its replacement before the next time limit starts.
        this.ready = this.warmUp();
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') throw new RulesValidationOutOfMemory(this.options.maxHeapMb);
        throw new RulesValidationTimeout(this.options.timeoutMs);
      }
      if (/queue is at limit/i.test(err.message ?? '')) throw new RulesValidationBusy();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
