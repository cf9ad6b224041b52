/**
 * The cluster policies that enforce Quarantine's signed verdicts without calling Quarantine
 * (deploy/attestations): a Kyverno ClusterPolicy and a sigstore policy-controller ClusterImagePolicy.
 * Neither Kyverno nor policy-controller (nor a Kubernetes API server) can run here, and their CRD
 * schemas are not available offline: the objects are validated against JSON Schemas written for the
 * fields they use (test/support/schemas, unknown fields refused), and tied to the predicate they
 * check: the predicate type, and fields the predicate's own schema requires.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { parse } from 'yaml';
import { VERDICT_PREDICATE_TYPE } from '#core/attestations/statement';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (p: string) => readFileSync(join(process.cwd(), p), 'utf8');
const ajv = new Ajv({ allErrors: true, strict: false });
(ajvFormats as unknown as (a: Ajv) => Ajv)(ajv); // CommonJS default export
const kyvernoSchema = ajv.compile(JSON.parse(read('test/support/schemas/kyverno-clusterpolicy-verifyimages.schema.json')) as object);
const cipSchema = ajv.compile(JSON.parse(read('test/support/schemas/policy-controller-clusterimagepolicy.schema.json')) as object);
const predicate = JSON.parse(read('deploy/attestations/verdict-predicate.schema.json')) as { required: string[]; properties: { verdict: { enum: string[] } } };
const kyverno = parse(read('deploy/attestations/kyverno-clusterpolicy.yaml')) as Obj;
const cip = parse(read('deploy/attestations/policy-controller-clusterimagepolicy.yaml')) as Obj;

describe('deploy/attestations policies', () => {
  it('the Kyverno ClusterPolicy validates, enforces, and checks Quarantine\'s predicate type with a key attestor and no transparency log', () => {
    expect(kyvernoSchema(kyverno) ? [] : kyvernoSchema.errors).toEqual([]);
    expect(kyverno.spec.validationFailureAction).toBe('Enforce');
    const vi = kyverno.spec.rules[0].verifyImages[0];
    expect(vi).toMatchObject({ required: true, verifyDigest: true });
    const att = vi.attestations[0];
    expect(att.type).toBe(VERDICT_PREDICATE_TYPE);
    expect(att.attestors[0].entries[0].keys).toMatchObject({ rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } });
  });

  it('its conditions require verdict clean and expiresAt after now, on fields the predicate schema requires', () => {
    const conds = kyverno.spec.rules[0].verifyImages[0].attestations[0].conditions[0].all as { key: string; operator: string; value: unknown }[];
    expect(conds.map((c) => [c.key, c.operator, c.value])).toEqual([
      ['{{ verdict }}', 'Equals', 'clean'],
      ['{{ time_after(expiresAt, time_now_utc()) }}', 'Equals', true],
    ]);
    expect(predicate.required).toEqual(expect.arrayContaining(['verdict', 'expiresAt']));
    expect(predicate.properties.verdict.enum).toContain('clean');
  });

  it('the policy-controller ClusterImagePolicy validates and its Rego admits only clean, unexpired verdicts of the predicate type', () => {
    expect(cipSchema(cip) ? [] : cipSchema.errors).toEqual([]);
    const a = cip.spec.authorities[0];
    expect(a.ctlog).toBeUndefined();
    expect(a.attestations[0].predicateType).toBe(VERDICT_PREDICATE_TYPE);
    const rego = a.attestations[0].policy.data as string;
    expect(rego).toMatch(/^package sigstore$/m);
    expect(rego).toMatch(/default isCompliant = false/);
    expect(rego).toContain(`input.predicateType == "${VERDICT_PREDICATE_TYPE}"`);
    expect(rego).toContain('input.predicate.verdict == "clean"');
    expect(rego).toContain('time.parse_rfc3339_ns(input.predicate.expiresAt) > time.now_ns()');
  });

  it('the schemas refuse a misspelt field, a missing key, and a non-enforcing action (they can fail)', () => {
    const typo = structuredClone(kyverno);
    typo.spec.rules[0].verifyImages[0].attestation = typo.spec.rules[0].verifyImages[0].attestations;
    delete typo.spec.rules[0].verifyImages[0].attestations;
    expect(kyvernoSchema(typo)).toBe(false);
    const noKey = structuredClone(cip);
    delete noKey.spec.authorities[0].key.data;
    expect(cipSchema(noKey)).toBe(false);
    const wrongAction = structuredClone(kyverno);
    wrongAction.spec.validationFailureAction = 'Block';
    expect(kyvernoSchema(wrongAction)).toBe(false);
  });
});
