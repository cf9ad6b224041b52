import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileError, loadProfiles, parseProfile } from './profile.js';

const dir = mkdtempSync(join(tmpdir(), 'q-prof-'));
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'a.yaml'), '- list: x\n  items: []\n');

describe('parseProfile', () => {
  it('parses limits with units and resolves rule globs', () => {
    const p = parseProfile(join(dir, 'p.yaml'), 'name: p\nlimits: {memory: 128m, pids: 64, window: 2m, output: 8k}\nrules: [rules/*.yaml]\n', dir);
    expect(p.limits).toMatchObject({ memoryBytes: 128 * 1024 * 1024, pids: 64, windowSeconds: 120, outputBytes: 8192 });
    expect(p.rules).toEqual([join(dir, 'rules', 'a.yaml')]);
    expect(p).toMatchObject({ runtime: 'runc', probe: 'strace', capabilities: 'default', network: 'none' });
  });

  it.each([
    ['runtime: kata\n', 'runtime'],
    ['probe: dtrace\n', 'probe'],
    ['runtime: runsc\nprobe: strace\n', 'runtime'],
    ['limits: {memory: lots}\n', 'limits.memory'],
    ['limits: {pids: 1}\n', 'limits.pids'],
    ['limits: {window: soon}\n', 'limits.window'],
    ['limits: {disk: 1g}\n', 'limits.disk'],
    ['capabilities: some\n', 'capabilities'],
    ['network: bridge\n', 'network'],
    ['rules: [nothing/*.yaml]\n', 'rules'],
    ['scoring: {weights: {urgent: 5}}\n', 'scoring.weights.urgent'],
    ['scoring: {thresholds: {suspicious: 80, malicious: 50}}\n', 'scoring.thresholds'],
    ['colour: red\n', 'colour'],
    ['name: Bad Name\n', 'name'],
    ['limits: [1\n', 'line'],
  ])('names the field for %j', (text, field) => {
    try {
      parseProfile(join(dir, 'bad.yaml'), text, dir);
      throw new Error('expected a ProfileError');
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).message).toContain('bad.yaml');
      expect((e as ProfileError).field).toContain(field);
    }
  });
});

describe('loadProfiles', () => {
  it('loads the shipped profiles', () => {
    const profiles = loadProfiles(join(process.cwd(), 'sandbox-profiles'));
    expect([...profiles.keys()]).toEqual(expect.arrayContaining(['default', 'strict', 'quick']));
    expect(profiles.get('strict')!.capabilities).toBe('drop-all');
  });

  it('requires a default profile', () => {
    const d = mkdtempSync(join(tmpdir(), 'q-prof-'));
    mkdirSync(join(d, 'rules'));
    writeFileSync(join(d, 'rules', 'a.yaml'), '[]\n');
    writeFileSync(join(d, 'other.yaml'), 'name: other\n');
    expect(() => loadProfiles(d)).toThrow(/default/);
  });
});
