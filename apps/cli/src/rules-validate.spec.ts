import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRules } from '#analysis/rules/validate';

describe('validateRules', () => {
  it('is valid for a good file and invalid with line/column for a broken condition', () => {
    const good = validateRules([{ name: 'a.yaml', text: '- rule: A\n  desc: a\n  condition: evt.type = openat\n  output: a\n  priority: NOTICE\n' }]);
    expect(good).toMatchObject({ valid: true, rulesLoaded: 1 });
    const bad = validateRules([{ name: 'b.yaml', text: '- rule: B\n  desc: b\n  condition: evt.type = openat and (\n  output: b\n  priority: NOTICE\n' }]);
    expect(bad.valid).toBe(false);
    expect(bad.items[0]).toMatchObject({ status: 'error', file: 'b.yaml', line: 3 });
  });
});

describe('quarantine rules validate (the built CLI)', () => {
  const cli = join(process.cwd(), 'dist/apps/cli/src/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'q-cli-'));
  it('exits 0 on the shipped rules and 1 on a broken file, printing file:line:column', () => {
    const out = execFileSync('node', [cli, 'rules', 'validate', '--quiet', join(process.cwd(), 'sandbox-profiles/rules/quarantine-rules.yaml')], { encoding: 'utf8' });
    expect(out).toMatch(/^valid /m);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '- rule: B\n  desc: b\n  condition: evt.type = = openat\n  output: b\n  priority: NOTICE\n');
    let status = 0;
    let stdout = '';
    try {
      execFileSync('node', [cli, 'rules', 'validate', broken], { encoding: 'utf8' });
    } catch (e) {
      status = (e as { status: number }).status;
      stdout = (e as { stdout: string }).stdout;
    }
    expect(status).toBe(1);
    expect(stdout).toContain(`${broken}:3:`);
    expect(stdout).toMatch(/INVALID/);
  });
});
