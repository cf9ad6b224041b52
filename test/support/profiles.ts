import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A profiles directory for e2e runs: the shipped profiles plus `e2e` (short window, tight limits)
 * using the shipped rule files, so tests exercise the real rules without waiting 30 s per sample.
 */
export function e2eProfilesDir(window = '4s', trace = '16m', network: 'none' | 'simulated' = 'none'): string {
  const shipped = join(process.cwd(), 'sandbox-profiles');
  const dir = mkdtempSync(join(tmpdir(), 'q-profiles-'));
  for (const f of readdirSync(shipped).filter((x) => x.endsWith('.yaml'))) {
    copyFileSync(join(shipped, f), join(dir, f));
  }
  const rules = join(shipped, 'rules', '*.yaml');
  // The shipped profiles refer to rules/ relative to their directory: point them at the real files.
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    const text = readFileSyncUtf8(path).replace(/- rules\/\*\.yaml/g, `- ${rules}`);
    writeFileSync(path, text);
  }
  writeFileSync(
    join(dir, 'e2e.yaml'),
    [
      'name: e2e',
      'description: e2e tests — default containment, short window, tight limits',
      'runtime: runc',
      'probe: strace',
      'capabilities: default',
      `network: ${network}`,
      'limits:',
      '  memory: 64m',
      '  pids: 32',
      '  cpus: 1',
      `  window: ${window}`,
      '  output: 4k',
      `  trace: ${trace}`,
      'rules:',
      `  - ${rules}`,
      '',
    ].join('\n'),
  );
  // e2e-custom: the shipped rules plus a file of the test's own (rescore tests rewrite it).
  mkdirSync(join(dir, 'custom'));
  writeFileSync(join(dir, 'custom', 'extra.yaml'), '- list: e2e_placeholder\n  items: []\n');
  writeFileSync(
    join(dir, 'e2e-custom.yaml'),
    ['name: e2e-custom', 'limits:', '  memory: 64m', '  pids: 32', `  window: ${window}`, '  output: 4k', 'rules:', `  - ${rules}`, '  - custom/extra.yaml', ''].join('\n'),
  );
  return dir;
}

import { readFileSync } from 'node:fs';
function readFileSyncUtf8(p: string): string {
  return readFileSync(p, 'utf8');
}
