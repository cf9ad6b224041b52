import { ConfigError, loadConfig } from './config.js';
import { activeQuota } from './ownership-config.js';

describe('ownership configuration', () => {
  it('defaults: 5-minute watch floor, 50 active analyses per analyst, admins unlimited, audit kept a year', () => {
    expect(loadConfig({}).ownership).toEqual({ watchMinIntervalSeconds: 300, analystActiveQuota: 50, adminActiveQuota: 0, auditRetentionDays: 365 });
  });

  it.each([
    [{ WATCH_MIN_INTERVAL_SECONDS: '0' }, 'WATCH_MIN_INTERVAL_SECONDS'],
    [{ WATCH_MIN_INTERVAL_SECONDS: '90000' }, 'WATCH_MIN_INTERVAL_SECONDS'],
    [{ QUOTA_ANALYST_ACTIVE: '0' }, 'QUOTA_ANALYST_ACTIVE'],
    [{ QUOTA_ANALYST_ACTIVE: 'many' }, 'QUOTA_ANALYST_ACTIVE'],
    [{ QUOTA_ADMIN_ACTIVE: '-1' }, 'QUOTA_ADMIN_ACTIVE'],
    [{ AUDIT_RETENTION_DAYS: '0' }, 'AUDIT_RETENTION_DAYS'],
  ])('stops on %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });

  it('gives each role its quota; system principals have none', () => {
    const cfg = loadConfig({ QUOTA_ANALYST_ACTIVE: '7', QUOTA_ADMIN_ACTIVE: '70' }).ownership;
    expect(activeQuota(cfg, 'analyst', 'some-key')).toBe(7);
    expect(activeQuota(cfg, 'admin', 'bootstrap-admin')).toBe(70);
    expect(activeQuota(cfg, 'analyst', 'system:admission')).toBe(0);
  });
});
