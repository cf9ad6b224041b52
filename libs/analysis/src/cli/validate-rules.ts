#!/usr/bin/env node
/**
 * Validates Falco-format rule files the way Quarantine loads them.
 *   npm run rules:validate -- sandbox-profiles/rules/*.yaml [--json] [--quiet]
 * Files load in the order given (later files may append to / override earlier ones).
 * Exit code: 0 valid, 1 at least one item has an error, 2 usage or unreadable file.
 */
import { readFileSync } from 'node:fs';
import { validateRules } from '../rules/validate.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quiet = args.includes('--quiet');
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  process.stderr.write('usage: validate-rules FILE... [--json] [--quiet]\n');
  process.exit(2);
}
const sources = [];
for (const f of files) {
  try {
    sources.push({ name: f, text: readFileSync(f, 'utf8') });
  } catch (e) {
    process.stderr.write(`validate-rules: cannot read ${f}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
const result = validateRules(sources);
if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  for (const item of result.items) {
    if (quiet && item.status === 'loaded' && !item.reason) continue;
    const where = item.line ? `${item.file}:${item.line}:${item.column ?? 1}` : item.file;
    process.stdout.write(`${where}: ${item.status.padEnd(7)} ${item.kind} "${item.name}"${item.reason ? ` — ${item.reason}` : ''}\n`);
  }
  const counts = Object.entries(result.summary).map(([kind, c]) => `${kind}: ${c.loaded} loaded, ${c.skipped} skipped, ${c.error} errors`);
  process.stdout.write(`${result.valid ? 'valid' : 'INVALID'} (version ${result.version.slice(0, 12)}; ${counts.join('; ')})\n`);
}
process.exit(result.valid ? 0 : 1);
