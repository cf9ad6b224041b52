import { ConfigError, loadConfig } from './config.js';

describe('API limits configuration', () => {
  it('has defaults', () => {
    expect(loadConfig({}).apiLimits).toEqual({ maxJsonDepth: 32, requestTimeoutMs: 5000, authFailureLimit: 20, authFailureWindowSeconds: 300, trustProxy: false });
  });

  it('reads every variable', () => {
    const c = loadConfig({ MAX_JSON_DEPTH: '8', REQUEST_TIMEOUT_MS: '2500', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60', TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).apiLimits;
    expect(c).toEqual({ maxJsonDepth: 8, requestTimeoutMs: 2500, authFailureLimit: 3, authFailureWindowSeconds: 60, trustProxy: ['loopback', '10.0.0.0/8', 'fd00::1'] });
    expect(loadConfig({ TRUST_PROXY: '2' }).apiLimits.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).apiLimits.trustProxy).toBe(false);
  });

  it.each([
    [{ MAX_JSON_DEPTH: '1' }, /MAX_JSON_DEPTH must be between 2 and 256/],
    [{ REQUEST_TIMEOUT_MS: 'soon' }, /REQUEST_TIMEOUT_MS must be an integer/],
    [{ AUTH_FAILURE_LIMIT: '0' }, /AUTH_FAILURE_LIMIT must be between 1/],
    [{ AUTH_FAILURE_WINDOW_SECONDS: '999999' }, /AUTH_FAILURE_WINDOW_SECONDS must be between 1 and 86400/],
    [{ TRUST_PROXY: 'true' }, /TRUST_PROXY must name the proxies/],
    [{ TRUST_PROXY: '0' }, /TRUST_PROXY hop count must be between 1 and 16/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY entry "10.0.0.0\/33"/],
    [{ TRUST_PROXY: 'proxy.internal' }, /TRUST_PROXY entry "proxy.internal"/],
  ])('refuses %j naming the variable', (env, why) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(why);
  });
});
