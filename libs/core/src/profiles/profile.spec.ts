import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileError, loadProfiles, parseProfile } from './profile.js';

const dir = mkdtempSync(join(tmpdir(), 'q-prof-'));
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'a.yaml'), '- list: x\n  items: []\n');

describe('parseProfile', () => {
  it('parses the supply-chain policy: registry prefixes, local images, the cosign public key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(dir, 'cosign.pub'), pem);
    const p = parseProfile(join(dir, 'p.yaml'), 'supplyChain: {registries: ["127.0.0.1:5000/team/", "reg.example.com"], allowLocal: false, signature: {publicKey: cosign.pub}}\n', dir);
    expect(p.supplyChain).toEqual({ registries: ['127.0.0.1:5000/team', 'reg.example.com'], allowLocal: false, signature: { keyFile: join(dir, 'cosign.pub'), publicKeyPem: pem } });
    expect(parseProfile(join(dir, 'p.yaml'), 'name: p\n', dir).supplyChain).toEqual({ allowLocal: true });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(dir, 'rsa.pub'), rsa);
    expect(() => parseProfile(join(dir, 'p.yaml'), 'supplyChain: {signature: {publicKey: rsa.pub}}\n', dir)).toThrow(/ECDSA P-256/);
  });

  it('parses limits with units and resolves rule globs', () => {
    const p = parseProfile(join(dir, 'p.yaml'), 'name: p\nlimits: {memory: 128m, pids: 64, window: 2m, output: 8k}\nrules: [rules/*.yaml]\n', dir);
    expect(p.limits).toMatchObject({ memoryBytes: 128 * 1024 * 1024, pids: 64, windowSeconds: 120, outputBytes: 8192 });
    expect(p.rules).toEqual([join(dir, 'rules', 'a.yaml')]);
    expect(p).toMatchObject({ runtime: 'runc', probe: 'strace', capabilities: 'default', network: 'none', lures: true, stimulate: true });
    expect(parseProfile(join(dir, 'p.yaml'), 'lures: false\nstimulate: false\n', dir)).toMatchObject({ lures: false, stimulate: false });
  });

  it('limits.disk: a size (default 1g), kept in bytes', () => {
    expect(parseProfile(join(dir, 'p.yaml'), 'name: p\n', dir).limits.diskBytes).toBe(1024 ** 3);
    expect(parseProfile(join(dir, 'p.yaml'), 'limits: {disk: 32m}\n', dir).limits.diskBytes).toBe(32 * 1024 ** 2);
    expect(parseProfile(join(dir, 'p.yaml'), 'limits: {disk: 2g}\n', dir).limits.diskBytes).toBe(2 * 1024 ** 3);
    expect(parseProfile(join(dir, 'p.yaml'), 'limits: {disk: 512MiB}\n', dir).limits.diskBytes).toBe(512 * 1024 ** 2);
    expect(() => parseProfile(join(dir, 'p.yaml'), 'limits: {disk: 4k}\n', dir)).toThrow(/p\.yaml: limits\.disk: must be between 16m and 256g, got "4k"/);
  });

  it('limits.maxWindow: defaults to the window (no extension), accepts a longer duration', () => {
    expect(parseProfile(join(dir, 'p.yaml'), 'limits: {window: 20s}\n', dir).limits).toMatchObject({ windowSeconds: 20, maxWindowSeconds: 20 });
    expect(parseProfile(join(dir, 'p.yaml'), 'limits: {window: 30s, maxWindow: 5m}\n', dir).limits).toMatchObject({ windowSeconds: 30, maxWindowSeconds: 300 });
  });

  it.each([
    ['runtime: kata\n', 'runtime'],
    ['probe: dtrace\n', 'probe'],
    ['runtime: runsc\nprobe: strace\n', 'runtime'],
    ['limits: {memory: lots}\n', 'limits.memory'],
    ['limits: {pids: 1}\n', 'limits.pids'],
    ['limits: {window: soon}\n', 'limits.window'],
    ['limits: {window: 30s, maxWindow: 10s}\n', 'limits.maxWindow'],
    ['limits: {maxWindow: forever}\n', 'limits.maxWindow'],
    ['limits: {maxWindow: 2h}\n', 'limits.maxWindow'],
    ['limits: {disk: lots}\n', 'limits.disk'],
    ['limits: {disk: 0}\n', 'limits.disk'],
    ['limits: {disk: -1g}\n', 'limits.disk'],
    ['limits: {disk: 1m}\n', 'limits.disk'],
    ['limits: {disk: 100000g}\n', 'limits.disk'],
    ['limits: {disk: 1t}\n', 'limits.disk'],
    ['limits: {disk: [1g]}\n', 'limits.disk'],
    ['limits: {disks: 1g}\n', 'limits.disks'],
    ['capabilities: some\n', 'capabilities'],
    ['network: bridge\n', 'network'],
    ['lures: yes please\n', 'lures'],
    ['stimulate: 1\n', 'stimulate'],
    ['network: [simulated]\n', 'network'],
    ['runtime: runsc\nprobe: gvisor\nnetwork: simulated\n', 'network'],
    ['rules: [nothing/*.yaml]\n', 'rules'],
    ['scoring: {weights: {urgent: 5}}\n', 'scoring.weights.urgent'],
    ['scoring: {thresholds: {suspicious: 80, malicious: 50}}\n', 'scoring.thresholds'],
    ['colour: red\n', 'colour'],
    ['name: Bad Name\n', 'name'],
    ['limits: [1\n', 'line'],
    ['supplyChain: {registries: ["not a host"]}\n', 'supplyChain.registries'],
    ['supplyChain: {allowLocal: maybe}\n', 'supplyChain.allowLocal'],
    ['supplyChain: {signature: {publicKey: missing.pub}}\n', 'supplyChain.signature.publicKey'],
    ['supplyChain: {signature: {publicKey: rules/a.yaml}}\n', 'supplyChain.signature.publicKey'],
    ['supplyChain: {pin: true}\n', 'supplyChain.pin'],
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

  it('says why network: simulated is refused under gVisor', () => {
    expect(() => parseProfile(join(dir, 'bad.yaml'), 'runtime: runsc\nprobe: gvisor\nnetwork: simulated\n', dir)).toThrow(/simulated needs runtime runc or kubernetes, got runsc: gVisor sandboxes run with network none/);
  });
});

describe('loadProfiles', () => {
  it('loads the shipped profiles', () => {
    const profiles = loadProfiles(join(process.cwd(), 'sandbox-profiles'));
    expect([...profiles.keys()]).toEqual(expect.arrayContaining(['default', 'strict', 'quick']));
    expect(profiles.get('strict')!.capabilities).toBe('drop-all');
    // The default profile's samples get the simulated network (docs/network.md); gVisor's stays none.
    expect(profiles.get('default')!.network).toBe('simulated');
    expect(profiles.get('gvisor')!.network).toBe('none');
    // Every shipped profile states its disk limit (issue 13): none may rely on the default by accident.
    for (const p of profiles.values()) {
      expect(readFileSync(join(process.cwd(), 'sandbox-profiles', p.file), 'utf8')).toMatch(/^  disk: \S+/m);
      expect(p.limits.diskBytes).toBeGreaterThanOrEqual(256 * 1024 ** 2);
      expect(p.limits.diskBytes).toBeLessThanOrEqual(4 * 1024 ** 3);
    }
    expect(profiles.get('default')!.limits.diskBytes).toBe(1024 ** 3);
  });

  it('reads network: none | simulated', () => {
    expect(parseProfile(join(dir, 'p.yaml'), 'network: simulated\n', dir).network).toBe('simulated');
    expect(parseProfile(join(dir, 'p.yaml'), 'network: none\n', dir).network).toBe('none');
    // On Kubernetes the simulator runs as a pod beside the sample's.
    expect(parseProfile(join(dir, 'p.yaml'), 'runtime: kubernetes\nprobe: strace\nnetwork: simulated\n', dir).network).toBe('simulated');
  });

  it('requires a default profile', () => {
    const d = mkdtempSync(join(tmpdir(), 'q-prof-'));
    mkdirSync(join(d, 'rules'));
    writeFileSync(join(d, 'rules', 'a.yaml'), '[]\n');
    writeFileSync(join(d, 'other.yaml'), 'name: other\n');
    expect(() => loadProfiles(d)).toThrow(/default/);
  });
});
