import { execFileSync } from 'node:child_process';
import { buildBusyboxImage } from '../support/busybox-image.js';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, sandboxesLeft, startStack } from '../support/stack.js';

// Issue 18's static image checks through the real API and worker: an image that runs as root with an
// AWS key in its ENV and a stray setuid binary gets the three static findings; a well-built one none.
const AWS_ID = ['AKIA', 'M4XK7Q2W', 'ZB5NT3RL'].join('');
const BAD = 'quarantine-test/static-e2e-bad:latest';
const GOOD = 'quarantine-test/static-e2e-good:latest';
let stack: Stack;
let api: ReturnType<typeof client>;
const ids: string[] = [];

beforeAll(async () => {
  buildBusyboxImage(BAD, ['true'], {
    changes: [`ENV AWS_ACCESS_KEY_ID=${AWS_ID}`, 'HEALTHCHECK CMD ["true"]'],
    files: [{ path: 'usr/local/bin/helper', content: '#!/bin/sh\n', mode: 0o4755 }],
  });
  buildBusyboxImage(GOOD, ['true'], { user: 'app', changes: ['HEALTHCHECK CMD ["true"]'] });
  stack = await startStack({ db: 7, env: { PROFILES_DIR: e2eProfilesDir('2s') } });
  api = client(stack);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  expect(await sandboxesLeft(ids)).toEqual([]);
  execFileSync('docker', ['rmi', '-f', BAD, GOOD], { stdio: 'ignore' });
});

async function analyse(image: string) {
  const res = await api.submit({ image, profile: 'e2e' });
  expect(res.status).toBe(202);
  ids.push(res.json.id);
  const a = await api.waitDone(res.json.id, 60_000);
  const report = (await api.call('GET', `/v1/analyses/${a.id}/report`)).json;
  return { a, report };
}

const staticOf = (a: { findings: { source?: string; check?: string; cis?: string; priority: string }[] }) =>
  a.findings.filter((f) => f.source === 'static').map((f) => [f.check, f.cis, f.priority]);

describe('static image checks in an analysis', () => {
  it('root + AWS key in ENV + stray setuid binary → the three static findings, the secret redacted everywhere', async () => {
    const [{ a, report }, good] = await Promise.all([analyse(BAD), analyse(GOOD)]);
    expect(a.status).toBe('completed');
    if (process.env.DEBUG_STATIC) console.log(JSON.stringify(a.findings), JSON.stringify(report.static), stack.logs().split('\n').filter((l) => l.includes('static')).join('\n'));
    expect(staticOf(a)).toEqual([['root-user', '4.1', 'notice'], ['secret', '4.10', 'error'], ['setuid', '4.8', 'notice']]);
    // An error-level static finding alone makes the run suspicious (never malicious).
    expect(a.verdict).toBe('suspicious');
    expect(report.static).toMatchObject({ status: 'done', image: { user: '' } });
    expect(report.static.results.find((r: { check: string }) => r.check === 'setuid').items).toEqual(['/usr/local/bin/helper (4755 setuid, uid 0)']);
    expect(report.scoring.reasons.join(' ')).toMatch(/static image findings capped at 20/);
    const sarif = (await api.call('GET', `/v1/analyses/${a.id}/report?format=sarif`)).text;
    const html = (await api.call('GET', `/v1/analyses/${a.id}/report?format=html`)).text;
    expect(sarif).toContain('quarantine/static/secret');
    expect(html).toContain('<section id="static">');
    // The rules saw them as `source: static` events.
    const events = (await api.call('GET', `/v1/analyses/${a.id}/events`)).text;
    expect(events).toContain('"source":"static","type":"static"');
    for (const text of [JSON.stringify(a), JSON.stringify(report.static), JSON.stringify(report.findings), sarif, html]) expect(text).not.toContain(AWS_ID);

    expect({ ...good.a, error: good.a.error }).toMatchObject({ status: 'completed', verdict: 'clean', error: null });
    expect(staticOf(good.a)).toEqual([]);
    expect(good.report.static).toMatchObject({ status: 'done', results: [] });
  }, 90_000);
});
