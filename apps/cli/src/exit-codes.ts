/**
 * The CLI's exit codes (docs/cli.md), stable for pipelines: 0 fine; 1 any other failure (API
 * unreachable, 5xx, the analysis failed); 2 usage (a bad flag or argument, a 4xx naming a field);
 * 3 the verdict is at or above `--fail-on`; 4 the verdict is `inconclusive`.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, verdictGate: 3, inconclusive: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line (what to fix) and maps to its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}
