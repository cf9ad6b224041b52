import { admissionEligibility } from './admission-policy.js';
import type { SandboxProfile } from './profile.js';

const profile = (name: string, probe: SandboxProfile['probe']) => ({ name, probe }) as SandboxProfile;
const done = { status: 'completed' as const, verdict: 'malicious' as const };

describe('admissionEligibility', () => {
  it('counts a completed analysis of an admission profile run with the probe the profile prescribes', () => {
    const e = admissionEligibility({ ...done, profile: 'default', probe: 'ebpf' }, profile('default', 'ebpf'), ['default', 'gvisor']);
    expect(e).toEqual({ countsForAdmission: true, admissionReason: expect.stringContaining('profile "default" with its probe "ebpf"') });
  });

  it('does not count another profile, an overridden probe, or an analysis without a complete verdict', () => {
    expect(admissionEligibility({ ...done, profile: 'quick', probe: 'strace' }, profile('quick', 'strace'), ['default'])).toEqual({
      countsForAdmission: false,
      admissionReason: 'profile "quick" is not an admission profile (ADMISSION_PROFILES: default)',
    });
    const blinder = admissionEligibility({ ...done, profile: 'default', probe: 'perf' }, profile('default', 'ebpf'), ['default']);
    expect(blinder).toEqual({ countsForAdmission: false, admissionReason: 'probe "perf" overrides the probe profile "default" prescribes ("ebpf")' });
    expect(admissionEligibility({ status: 'failed', verdict: 'error', profile: 'default', probe: 'ebpf' }, profile('default', 'ebpf'), ['default']).countsForAdmission).toBe(false);
    expect(admissionEligibility({ status: 'running', verdict: null, profile: 'default', probe: 'ebpf' }, profile('default', 'ebpf'), ['default']).admissionReason).toMatch(/status running/);
    expect(admissionEligibility({ ...done, profile: 'gone', probe: 'ebpf' }, undefined, ['gone']).countsForAdmission).toBe(false);
  });

  it('never counts a run under a seccomp profile under test (seccompFrom): what the profile blocked was not seen', () => {
    const e = admissionEligibility({ ...done, profile: 'default', probe: 'ebpf', seccompFrom: 'a1' }, profile('default', 'ebpf'), ['default']);
    expect(e).toEqual({ countsForAdmission: false, admissionReason: expect.stringContaining('seccomp profile generated from analysis a1') });
  });
});
