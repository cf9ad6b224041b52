import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, redisUrl: 'redis://127.0.0.1:6379', workerConcurrency: 2, trustedRegistries: [], ebpfEngine: 'libbpf' });
    expect(loadConfig({ EBPF_ENGINE: 'bpftrace' }).ebpfEngine).toBe('bpftrace');
    expect(loadConfig({}).ebpfPreload).toBe(true);
    expect(loadConfig({ EBPF_PRELOAD: 'off' }).ebpfPreload).toBe(false);
    expect(() => loadConfig({ EBPF_PRELOAD: 'yes' })).toThrow(/EBPF_PRELOAD/);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY'],
    [{ WORKER_CONCURRENCY: '2.5' }, 'WORKER_CONCURRENCY'],
    [{ QUARANTINE_ADMIN_KEY: 'short' }, 'QUARANTINE_ADMIN_KEY'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ EBPF_ENGINE: 'bcc' }, 'EBPF_ENGINE'],
    [{ TRUSTED_REGISTRIES: 'ok.example:5000,bad/host' }, 'TRUSTED_REGISTRIES'],
  ])('stops on %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });

  it('ADMISSION_PROFILES: defaults to ADMISSION_PROFILE, else default; validated naming the variable', () => {
    expect(loadConfig({}).admissionProfiles).toEqual(['default']);
    expect(loadConfig({ ADMISSION_PROFILE: 'strict' }).admissionProfiles).toEqual(['strict']);
    expect(loadConfig({ ADMISSION_PROFILES: ' default, gvisor ,default' }).admissionProfiles).toEqual(['default', 'gvisor']);
    expect(() => loadConfig({ ADMISSION_PROFILES: 'default,Bad Name' })).toThrow(/ADMISSION_PROFILES .*"Bad Name"/);
    expect(() => loadConfig({ ADMISSION_PROFILES: ' , ' })).toThrow(/ADMISSION_PROFILES/);
    expect(() => loadConfig({ ADMISSION_PROFILES: 'gvisor' })).toThrow(/ADMISSION_PROFILES must include ADMISSION_PROFILE "default"/);
    expect(loadConfig({ ADMISSION_PROFILE: 'gvisor', ADMISSION_PROFILES: 'gvisor,strict' }).admissionProfiles).toEqual(['gvisor', 'strict']);
  });

  it('requires the admin key for the API', () => {
    expect(() => loadConfig({}, { requireAdminKey: true })).toThrow(/QUARANTINE_ADMIN_KEY/);
    expect(loadConfig({ QUARANTINE_ADMIN_KEY: 'x'.repeat(16) }, { requireAdminKey: true }).adminKey).toBe('x'.repeat(16));
  });
});
