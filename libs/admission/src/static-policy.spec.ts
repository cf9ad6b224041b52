import type { VerdictCacheEntry } from '#core/storage/analysis.types';
import { fixture } from '../../../test/support/admission.js';
import { parseReview } from './admission-review.js';
import { AdmissionService, type Assessment, decide } from './admission.service.js';
import { loadAdmissionConfig } from './admission.config.js';
import { deniedStatic, parseDenyStatic } from './static-policy.js';

describe('ADMISSION_DENY_STATIC (opt-in admission policy on static checks)', () => {
  it('parses a list of check ids, and names the variable on a bad one', () => {
    expect(parseDenyStatic(undefined)).toEqual([]);
    expect(parseDenyStatic(' root-user, secret ,root-user')).toEqual(['root-user', 'secret']);
    expect(() => parseDenyStatic('root')).toThrow(/ADMISSION_DENY_STATIC.*"root" is not a static check/);
    expect(loadAdmissionConfig({ ADMISSION_DENY_STATIC: 'root-user' }).denyStatic).toEqual(['root-user']);
    expect(loadAdmissionConfig({}).denyStatic).toEqual([]);
  });

  it('denies only what the list names and the analysis found', () => {
    expect(deniedStatic({ staticChecks: ['root-user', 'no-healthcheck'] }, ['root-user', 'secret'])).toEqual(['root-user']);
    expect(deniedStatic({ staticChecks: ['root-user'] }, [])).toEqual([]);
    expect(deniedStatic({}, ['root-user'])).toEqual([]);
  });

  it('a clean image failing the static policy: denied in enforce mode, a warning in warn mode', () => {
    const review = parseReview(fixture('pod', { app: '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64) }));
    const entry: VerdictCacheEntry = { digest: 'sha256:1', verdict: 'clean', score: 2, rulesVersion: 'r', analysisId: 'an-1', image: 'x', at: new Date().toISOString(), staticChecks: ['root-user'] };
    const a: Assessment = { image: 'app', state: 'static-policy', digest: 'sha256:1', entry, checks: ['root-user'] };
    const enforce = decide('u', review, [a], 'enforce', 1000).response;
    expect(enforce.allowed).toBe(false);
    expect(enforce.status?.message).toMatch(/clean but fails the static policy \(ADMISSION_DENY_STATIC\): root-user \(analysis an-1\)/);
    const warn = decide('u', review, [a], 'warn', 1000).response;
    expect(warn.allowed).toBe(true);
    expect(warn.warnings?.join(' ')).toMatch(/root-user/);
  });

  it('assess and the initContainer\'s verdict check apply it to clean verdicts from the cache', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const entry: VerdictCacheEntry = { digest, verdict: 'clean', score: 2, rulesVersion: 'r', analysisId: 'an-2', image: 'x', at: new Date().toISOString(), staticChecks: ['root-user', 'no-healthcheck'] };
    const cache = { get: async (d: string) => (d === digest ? entry : null) };
    const svc = (deny: string) => new AdmissionService(loadAdmissionConfig({ ADMISSION_DENY_STATIC: deny }), cache as never, null as never, null as never, null as never, null as never, []);
    expect(await svc('root-user').assess(`127.0.0.1:5000/app@${digest}`)).toMatchObject({ state: 'static-policy', checks: ['root-user'] });
    expect(await svc('secret').assess(`127.0.0.1:5000/app@${digest}`)).toMatchObject({ state: 'clean' });
    expect(await svc('').assess(`127.0.0.1:5000/app@${digest}`)).toMatchObject({ state: 'clean' });
    expect(await svc('root-user').verdictOf(digest)).toMatchObject({ allowed: false, verdict: 'clean', reason: 'static checks denied by policy (ADMISSION_DENY_STATIC): root-user' });
    expect(await svc('secret').verdictOf(digest)).toMatchObject({ allowed: true, reason: 'clean' });
  });
});
