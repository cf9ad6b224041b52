import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'q-regcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function err(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('registry configuration', () => {
  it('defaults: no credentials, events unauthenticated (refused), profile default, every repository', () => {
    const r = loadConfig({}).registries;
    expect(r.authFile).toBeNull();
    expect(r.fileCredentials.hosts()).toEqual([]);
    expect(r.events).toMatchObject({ tokenDigest: null, hmacSecret: null, profile: 'default', repositories: ['**'], maxEvents: 100, dedupeDays: 365 });
  });

  it('reads REGISTRY_AUTH_FILE; the configuration never prints a secret', () => {
    const file = join(dir, 'auth.json');
    writeFileSync(file, JSON.stringify({ auths: { 'reg.example:5001': { auth: Buffer.from('ci:file-secret-123').toString('base64') } } }));
    const cfg = loadConfig({ REGISTRY_AUTH_FILE: file, REGISTRY_EVENTS_TOKEN: 'events-token-secret-1', REGISTRY_EVENTS_HMAC_SECRET: 'events-hmac-secret-1', REGISTRY_EVENTS_REPOSITORIES: 'reg.example:5001/team/**, reg.example:5001/other/*' });
    expect(cfg.registries.fileCredentials.hosts()).toEqual(['reg.example:5001']);
    expect(cfg.registries.events.repositories).toEqual(['reg.example:5001/team/**', 'reg.example:5001/other/*']);
    for (const s of [JSON.stringify(cfg), inspect(cfg, { depth: 10 })]) {
      expect(s).not.toContain('file-secret-123');
      expect(s).not.toContain('events-token-secret-1');
      expect(s).not.toContain('events-hmac-secret-1');
    }
  });

  it('stops the boot naming the variable', () => {
    writeFileSync(join(dir, 'bad.json'), '{"auths": {"r.example": {"auth": "!!"}}}');
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ REGISTRY_AUTH_FILE: join(dir, 'missing.json') }, 'REGISTRY_AUTH_FILE', /cannot be read \(ENOENT\)/],
      [{ REGISTRY_AUTH_FILE: join(dir, 'bad.json') }, 'REGISTRY_AUTH_FILE', /auths\["r.example"\]\.auth: is not base64/],
      [{ REGISTRY_EVENTS_TOKEN: 'short' }, 'REGISTRY_EVENTS_TOKEN', /at least 16/],
      [{ REGISTRY_EVENTS_HMAC_SECRET: 'short' }, 'REGISTRY_EVENTS_HMAC_SECRET', /at least 16/],
      [{ REGISTRY_EVENTS_PROFILE: '../x' }, 'REGISTRY_EVENTS_PROFILE', /not a profile name/],
      [{ REGISTRY_EVENTS_REPOSITORIES: ' , ' }, 'REGISTRY_EVENTS_REPOSITORIES', /at least one/],
      [{ REGISTRY_EVENTS_MAX_EVENTS: '0' }, 'REGISTRY_EVENTS_MAX_EVENTS', /between 1 and 1000/],
    ];
    for (const [env, variable, re] of cases) {
      const e = err(env);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toContain(variable);
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain('short');
    }
  });
});
