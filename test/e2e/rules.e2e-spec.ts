import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack, waitFor } from '../support/stack.js';

// Rules over the API: validation of a rules file, and rescoring a stored run when rules change.
let stack: Stack;
let api: ReturnType<typeof client>;
let profilesDir: string;

beforeAll(async () => {
  profilesDir = e2eProfilesDir('4s');
  stack = await startStack({ db: 10, workers: 1, env: { PROFILES_DIR: profilesDir, ADMISSION_PROFILES: 'default,e2e-custom' } });
  api = client(stack);
}, 60_000);
afterAll(async () => stack?.stop());

async function validate(yaml: string, contentType = 'application/yaml') {
  const res = await fetch(`${stack.base}/v1/rules/validate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': contentType },
    body: yaml,
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe('POST /v1/rules/validate', () => {
  it('validates the shipped rules: every item loaded', async () => {
    const text = readFileSync(join(process.cwd(), 'sandbox-profiles/rules/quarantine-rules.yaml'), 'utf8');
    const { status, json } = await validate(text);
    expect(status).toBe(200);
    expect(json.valid).toBe(true);
    expect(json.rulesLoaded).toBeGreaterThan(40);
    expect(json.items.filter((i: { status: string }) => i.status !== 'loaded')).toEqual([]);
  });

  it('reports per item: loaded, skipped with the reason, error with line and column', async () => {
    const yaml = [
      '- rule: Good',
      '  desc: ok',
      '  condition: evt.type = openat and fd.name = /etc/shadow',
      '  output: read %fd.name',
      '  priority: WARNING',
      '- rule: Unknown field',
      '  desc: uses a field nobody provides',
      '  condition: evt.type = openat and nosuch.field = 1',
      '  output: x',
      '  priority: NOTICE',
      '- rule: Broken',
      '  desc: syntax error',
      '  condition: evt.type = openat and (fd.name = ',
      '  output: x',
      '  priority: NOTICE',
      '',
    ].join('\n');
    const { status, json } = await validate(yaml);
    expect(status).toBe(200);
    expect(json.valid).toBe(false);
    const by = Object.fromEntries(json.items.map((i: { name: string }) => [i.name, i]));
    expect(by.Good.status).toBe('loaded');
    expect(by['Unknown field']).toMatchObject({ status: 'skipped' });
    expect(by['Unknown field'].reason).toContain('nosuch.field');
    expect(by.Broken).toMatchObject({ status: 'error', line: expect.any(Number), column: expect.any(Number) });
    expect(by.Broken.line).toBeGreaterThanOrEqual(11);
  });

  it('rejects an empty body or a JSON body with 400 naming the body', async () => {
    for (const [body, type] of [['', 'application/yaml'], ['{"a":1}', 'application/json']]) {
      const { status, json } = await validate(body, type);
      expect(status).toBe(400);
      expect(json.details[0].field).toBe('body');
    }
  });

  it('reports malformed YAML as an error item, not a crash', async () => {
    const { status, json } = await validate('- rule: x\n  condition: [unclosed\n');
    expect(status).toBe(200);
    expect(json.valid).toBe(false);
    expect(json.items.some((i: { status: string; line?: number }) => i.status === 'error' && typeof i.line === 'number')).toBe(true);
  });
});

describe('POST /v1/analyses/:id/rescore', () => {
  it('re-evaluates the stored trace with the current rules without running the sample again', async () => {
    const sub = await api.submit({ image: 'quarantine-samples/hello:latest', profile: 'e2e-custom' });
    const first = await api.waitDone(sub.json.id);
    expect(first.verdict).toBe('clean');

    // A new rule, written after the run, that describes what hello did.
    writeFileSync(
      join(profilesDir, 'custom', 'extra.yaml'),
      ['- rule: Hello Executed', '  desc: test rule', '  condition: evt.type = execve and proc.name = hello', '  output: hello ran (%proc.cmdline)', '  priority: CRITICAL', '  tags: [T0000]', ''].join('\n'),
    );
    const rs = await api.call('POST', `/v1/analyses/${first.id}/rescore`);
    expect(rs.status).toBe(202);
    await waitFor(async () => Boolean((await api.get(first.id)).json.rescoredAt), 30_000, () => stack.logs().slice(-3000));
    const after = (await api.get(first.id)).json;
    expect(after.verdict).toBe('malicious');
    expect(after.findings.map((f: { rule: string }) => f.rule)).toContain('Hello Executed');
    expect(after.rulesVersion).not.toBe(first.rulesVersion);
    expect(after.startedAt).toBe(first.startedAt);
    const report = (await api.call('GET', `/v1/analyses/${first.id}/report`)).json;
    expect(report.previous).toMatchObject({ verdict: 'clean', rulesVersion: first.rulesVersion });
    expect(report.rulesVersion).toBe(after.rulesVersion);
    const cached = JSON.parse((await stack.redis.get(`q:verdict:${first.digest}`))!);
    expect(cached).toMatchObject({ verdict: 'malicious', analysisId: first.id });
  }, 60_000);

  it('refuses to rescore an analysis that is not completed (409) and unknown ids (404)', async () => {
    const queued = await api.submit({ image: 'quarantine-samples/does-not-exist:1', profile: 'e2e' });
    const failed = await api.waitDone(queued.json.id);
    expect(failed.status).toBe('failed');
    expect((await api.call('POST', `/v1/analyses/${failed.id}/rescore`)).status).toBe(409);
    expect((await api.call('POST', '/v1/analyses/6c1a3b0e-1d4b-4a38-9a3c-2f0e0b1b8f11/rescore')).status).toBe(404);
  }, 30_000);
});
