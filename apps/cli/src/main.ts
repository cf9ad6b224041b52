#!/usr/bin/env node
/**
 * `quarantine`: the command-line client of the Quarantine API (docs/cli.md). Exit codes:
 * 0 ok, 1 failure, 2 usage, 3 verdict at or above --fail-on, 4 inconclusive.
 */
import { run } from './program.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  exitCode: 0,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
});
process.exitCode = code;
