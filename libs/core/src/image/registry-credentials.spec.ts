import { inspect } from 'node:util';
import { AuthFileError, ChainedCredentials, RegistryCredential, StaticCredentials, credentialProblem, normalizeRegistryHost, parseAuthFile, secretHint } from './registry-credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseAuthFile (Docker config.json auths)', () => {
  it('reads auth, username/password and identitytoken entries, keyed by normalized host', () => {
    const creds = parseAuthFile(JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'Registry.Example.com:5001': { username: 'ci', password: 'pw-123' },
        'ghcr.io': { identitytoken: 'refresh-tok' },
        'helper.example.com': {},
      },
      credsStore: 'desktop',
    }));
    expect([...creds.keys()].sort()).toEqual(['docker.io', 'ghcr.io', 'registry.example.com:5001']);
    expect(creds.get('docker.io')).toMatchObject({ username: 'hubuser', password: 'hub:pass', source: 'file' });
    expect(creds.get('registry.example.com:5001')!.basicAuthorization()).toBe(`Basic ${b64('ci:pw-123')}`);
    expect(creds.get('ghcr.io')!.dockerAuthConfig()).toEqual({ identitytoken: 'refresh-tok', serveraddress: 'ghcr.io' });
  });

  it('names the entry and field of a malformed file, never a secret', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not valid JSON/],
      ['{"auths": []}', /"auths" object/],
      [JSON.stringify({ auths: { 'bad host!': { auth: b64('a:b') } } }), /auths\["bad host!"\]: is not a registry/],
      [JSON.stringify({ auths: { 'r.example': { auth: '%%%' } } }), /auths\["r.example"\]\.auth: is not base64/],
      [JSON.stringify({ auths: { 'r.example': { auth: b64('no-colon-secret') } } }), /auth: must be base64 of "username:password"/],
      [JSON.stringify({ auths: { 'r.example': { username: 'u' } } }), /auths\["r.example"\]\.password: is required/],
      [JSON.stringify({ auths: { 'r.example': { username: 'u', password: 7 } } }), /\.password: must be a string/],
    ];
    for (const [text, re] of cases) {
      const e = (() => {
        try {
          parseAuthFile(text);
        } catch (err) {
          return err as Error;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(AuthFileError);
      expect(e!.message).toMatch(re);
      expect(e!.message).not.toContain('no-colon-secret');
    }
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`r${i}.example`, { auth: b64('a:b') }]));
    expect(() => parseAuthFile(JSON.stringify({ auths: many }))).toThrow(/at most 256/);
  });
});

describe('RegistryCredential never shows its secret', () => {
  const c = new RegistryCredential('r.example', { username: 'bob', password: 'super-secret-password' }, 'api');
  it('in JSON, strings, util.inspect and error messages', () => {
    for (const s of [JSON.stringify(c), String(c), inspect(c), inspect({ nested: { c } }), `${new Error(`failed with ${c}`).message}`]) {
      expect(s).not.toContain('super-secret-password');
    }
    expect(JSON.parse(JSON.stringify(c))).toEqual({ registry: 'r.example', username: 'bob', hint: '****rd', source: 'api' });
  });
  it('hints show nothing of short secrets', () => {
    expect(secretHint('')).toBe('(none)');
    expect(secretHint('short')).toBe('****');
    expect(secretHint('a-much-longer-secret')).toBe('****et');
  });
});

describe('hosts and sources', () => {
  it('normalizes registry hosts and refuses what is not one', () => {
    expect(normalizeRegistryHost('HTTPS://Reg.Example.COM:443/v2/')).toBe('reg.example.com:443');
    expect(normalizeRegistryHost('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeRegistryHost('127.0.0.1:5001')).toBe('127.0.0.1:5001');
    expect(normalizeRegistryHost('[::1]:5000')).toBe('[::1]:5000');
    for (const bad of ['', 'a b', 'a..b', '-a.com', 'x:0', 'x:70000', 'a'.repeat(300)]) expect(normalizeRegistryHost(bad)).toBeNull();
  });
  it('checks credential fields', () => {
    expect(credentialProblem({ username: 'u', password: 'p' })).toBeNull();
    expect(credentialProblem({ identityToken: 't' })).toBeNull();
    expect(credentialProblem({})).toMatchObject({ field: 'username' });
    expect(credentialProblem({ username: 'u', password: 'p\u0000' })).toMatchObject({ field: 'password' });
    expect(credentialProblem({ username: 'u', password: 'x'.repeat(5000) })).toMatchObject({ field: 'password' });
  });
  it('chains sources: the first that knows the registry wins', async () => {
    const a = new StaticCredentials(new Map([['r.example', new RegistryCredential('r.example', { username: 'api', password: 'p1' }, 'api')]]));
    const b = new StaticCredentials(new Map([['r.example', new RegistryCredential('r.example', { username: 'file', password: 'p2' }, 'file')], ['s.example', new RegistryCredential('s.example', { username: 'f2', password: 'p3' }, 'file')]]));
    const chain = new ChainedCredentials([a, b]);
    expect((await chain.get('R.example'))?.username).toBe('api');
    expect((await chain.get('s.example'))?.username).toBe('f2');
    expect(await chain.get('t.example')).toBeUndefined();
  });
});
