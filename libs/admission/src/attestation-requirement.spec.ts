import { fixture } from '../../../test/support/admission.js';
import { loadAdmissionConfig } from './admission.config.js';
import { parseReview } from './admission-review.js';
import { type Assessment, decide } from './admission.service.js';

// ADMISSION_REQUIRE_ATTESTATION (docs/attestations.md): the policy side. The signature checks
// themselves run against real Redis in apps/api/src/attestations/attestations.integration-spec.ts.
const images = { app: 'reg.local:5000/team/app@sha256:' + 'a'.repeat(64), sidecar: 'reg.local:5000/team/side@sha256:' + 'b'.repeat(64), init: 'reg.local:5000/team/init@sha256:' + 'c'.repeat(64), ephemeral: 'reg.local:5000/team/debug@sha256:' + 'd'.repeat(64) };
const review = parseReview(fixture('pod', images));
const entry = { digest: 'sha256:' + 'a'.repeat(64), verdict: 'clean' as const, score: 0, rulesVersion: 'r', analysisId: 'a1', image: images.app, at: new Date().toISOString() };
const unattested: Assessment = { image: images.app, state: 'unattested', digest: entry.digest, entry, reason: 'its attestation is not valid: no signature verifies' };
const clean: Assessment = { image: images.sidecar, state: 'clean', digest: entry.digest, entry };

describe('ADMISSION_REQUIRE_ATTESTATION', () => {
  it('is off by default and validated by name', () => {
    expect(loadAdmissionConfig({}).requireAttestation).toBe(false);
    expect(loadAdmissionConfig({ ADMISSION_REQUIRE_ATTESTATION: 'true' }).requireAttestation).toBe(true);
    expect(() => loadAdmissionConfig({ ADMISSION_REQUIRE_ATTESTATION: 'signed' })).toThrow(/ADMISSION_REQUIRE_ATTESTATION must be true or false/);
  });

  it('a clean image without a valid attestation is denied in enforce mode and warned in warn mode, with the reason', () => {
    const enforce = decide('u', review, [clean, unattested], 'enforce', 1000).response;
    expect(enforce.allowed).toBe(false);
    expect(enforce.status?.message).toMatch(/is clean \(analysis a1\) but ADMISSION_REQUIRE_ATTESTATION is on and its attestation is not valid: no signature verifies/);
    const warn = decide('u', review, [clean, unattested], 'warn', 1000).response;
    expect(warn.allowed).toBe(true);
    expect(warn.warnings?.[0]).toMatch(/is clean \(analysis a1\) but ADMISSION_REQUIRE_AT/);
    expect(decide('u', review, [clean], 'enforce', 1000).response.allowed).toBe(true);
  });
});
