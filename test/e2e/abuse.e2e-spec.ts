import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, sandboxesLeft, startStack } from '../support/stack.js';

/**
 * Issue 13's abuse suite: hostile samples (disk fill with a small limit, fork bomb, memory hog, output
 * flood, trace flood) detonate while hostile requests hit every surface, and throughout: no 5xx, the
 * API's health answers within 1 s, the worker finishes every analysis, nothing is left behind.
 */
let stack: Stack;
let api: ReturnType<typeof client>;
const statuses: { what: string; status: number }[] = [];
let health = { max: 0, failures: 0, polls: 0 };

beforeAll(async () => {
  const dir = e2eProfilesDir('4s');
  const rules = join(process.cwd(), 'sandbox-profiles', 'rules', '*.yaml');
  writeFileSync(join(dir, 'abuse.yaml'), ['name: abuse', 'runtime: runc', 'probe: ebpf', 'network: none', 'lures: false', 'stimulate: false',
    'limits:', '  memory: 64m', '  pids: 32', '  window: 4s', '  output: 4k', '  trace: 2m', '  disk: 32m', 'rules:', `  - ${rules}`, ''].join('\n'));
  stack = await startStack({ db: 30, workers: 1, env: { PROFILES_DIR: dir, WORKER_CONCURRENCY: '2', AUTH_FAILURE_LIMIT: '25', WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32' } });
  api = client(stack);
}, 60_000);
afterAll(async () => stack?.stop());

/** Polls /healthz every 100 ms until stopped: the slowest answer and any that was not a quick 200. */
function watchHealth(): () => Promise<typeof health> {
  let stop = false;
  const h = { max: 0, failures: 0, polls: 0 };
  const loop = (async () => {
    while (!stop) {
      const t0 = Date.now();
      const res = await fetch(`${stack.base}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      const ms = Date.now() - t0;
      h.polls++;
      h.max = Math.max(h.max, ms);
      if (!res || res.status !== 200) h.failures++;
      await res?.arrayBuffer().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return h;
  };
}

async function send(what: string, path: string, init: RequestInit & { key?: string | null } = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (init.key !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${init.key ?? stack.adminKey}`);
  const res = await fetch(`${stack.base}${path}`, { ...init, headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  statuses.push({ what, status: res.status });
  return { status: res.status, json, headers: res.headers };
}

const jsonBody = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

function doublingMacros(levels: number): string {
  const lines = ['- macro: m0', '  condition: evt.type = open'];
  for (let i = 1; i <= levels; i++) lines.push(`- macro: m${i}`, `  condition: m${i - 1} or m${i - 1}`);
  lines.push('- rule: r', '  desc: d', `  condition: m${levels}`, '  output: o', '  priority: ERROR');
  return `${lines.join('\n')}\n`;
}

describe('abuse', () => {
  it('hostile samples and hostile requests together: no 5xx, health within 1 s, every analysis finished and contained, nothing left behind', async () => {
    const stopHealth = watchHealth();
    const samples = ['disk-fill', 'forkbomb', 'memhog', 'spammer', 'integrity-flood'];
    const submitted = await Promise.all(samples.map((s) => send(`submit ${s}`, '/v1/analyses', jsonBody({ image: `quarantine-samples/${s}:latest`, profile: 'abuse' }))));
    for (const s of submitted) expect(s.status).toBe(202);

    // Hostile requests while the samples run (each must be a 4xx naming what is wrong, never a 5xx).
    const field = (r: { json: any }) => (r.json?.details ?? []).map((d: { field: string }) => d.field);
    const nonAscii = await send('non-ASCII bearer', '/v1/analyses', { key: null, headers: { authorization: 'Bearer qk_\u00e9\u00e9\u00e9' } });
    expect(nonAscii.status).toBe(401);
    let deep = '1';
    for (let i = 0; i < 3000; i++) deep = `{"a":${deep}}`;
    expect((await send('JSON 3000 deep', '/v1/analyses', jsonBody(`{"image":"x","labels":${deep}}`))).status).toBe(400);
    expect((await send('gzip header on a plain body', '/v1/analyses', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"image":"x"}' })).status).toBe(400);
    expect((await send('br header on a plain body', '/v1/analyses', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: '{"image":"x"}' })).status).toBeLessThan(500);
    expect((await send('real gzip body', '/v1/analyses', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"image":"Not Valid"}') })).status).toBe(400);
    const macros = await send('doubling macros 21 deep', '/v1/rules/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: doublingMacros(21) });
    expect(macros.status).toBe(400);
    const parens = await send('5000 parentheses', '/v1/rules/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: `- rule: r\n  desc: d\n  condition: ${'('.repeat(5000)}evt.type = open${')'.repeat(5000)}\n  output: o\n  priority: ERROR\n` });
    expect(parens.status).toBeGreaterThanOrEqual(400);
    expect(parens.status).toBeLessThan(500);
    const nots = await send('20000 not', '/v1/rules/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: `- rule: r\n  desc: d\n  condition: ${'not '.repeat(20000)}evt.type = open\n  output: o\n  priority: ERROR\n` });
    expect(nots.status).toBeLessThan(500);
    const glob = await send('pathological webhook glob', '/v1/webhooks', jsonBody({ url: 'http://127.0.0.1:9/h', events: ['analysis.completed'], filter: { image: '**a**a**a**a**a**a**a**a**b' } }));
    expect(glob.status).toBeLessThan(500);
    if (glob.status === 201) await send('delete glob webhook', `/v1/webhooks/${glob.json.id}`, { method: 'DELETE' });
    expect(field(await send('CR/LF in webhook URL', '/v1/webhooks', jsonBody({ url: 'http://127.0.0.1:9/h\r\nX: y', events: ['analysis.completed'] })))).toContain('url');
    expect(field(await send('CR/LF in ticket authorization', '/v1/webhooks', jsonBody({ url: 'http://127.0.0.1:9/h', events: ['analysis.completed'], format: 'jira', ticket: { projectKey: 'SEC', authorization: 'Basic x\r\nX-Evil: 1' } })))).toEqual(expect.arrayContaining([expect.stringMatching(/authorization/)]));
    for (const url of ['http://[::ffff:127.0.0.1]:9/h', 'http://[::127.0.0.2]/h', 'http://[64:ff9b::a00:1]/h', 'http://[2002:a00:1::]/h', 'http://[2001:db8::1]/h', 'http://192.0.2.1/h']) {
      const r = await send(`SSRF ${url}`, '/v1/webhooks', jsonBody({ url, events: ['analysis.completed'] }));
      if (url.includes('::ffff:127.0.0.1')) expect(r.status).toBeLessThan(500); // loopback is allowed by this stack's WEBHOOK_ALLOW_HOSTS
      else expect({ url, status: r.status }).toEqual({ url, status: 400 });
      if (r.status === 201) await send('delete', `/v1/webhooks/${r.json.id}`, { method: 'DELETE' });
    }
    expect(field(await send('registry port 70000', '/v1/analyses', jsonBody({ image: 'registry.local:70000/app:1' })))).toContain('image');
    expect(field(await send('cron of only ?', '/v1/watches', jsonBody({ image: 'quarantine-samples/hello:latest', schedule: '? ? ? ? ?' })))).toContain('schedule');
    expect(field(await send('watch every second', '/v1/watches', jsonBody({ image: 'quarantine-samples/hello:latest', schedule: '* * * * * *' })))).toContain('schedule');
    expect((await send('labels.constructor', '/v1/analyses', jsonBody('{"image":"quarantine-samples/hello:latest","labels":{"constructor":"x"}}'))).status).toBe(400);
    expect((await send('__proto__ key', '/v1/analyses', jsonBody('{"image":"quarantine-samples/hello:latest","__proto__":{"admin":true}}'))).status).toBe(400);

    // Every analysis finishes (the worker was never stalled), contained, and none of the hostile ones is clean.
    const done = await Promise.all(submitted.map((s) => api.waitDone(s.json.id, 120_000)));
    const bySample = Object.fromEntries(samples.map((s, i) => [s, done[i]]));
    for (const [s, a] of Object.entries(bySample)) expect({ s, status: a.status }).toEqual({ s, status: 'completed' });
    for (const s of ['disk-fill', 'forkbomb', 'integrity-flood']) expect({ s, verdict: bySample[s].verdict }).not.toEqual({ s, verdict: 'clean' });
    expect(bySample['disk-fill'].findings.map((f: { rule: string }) => f.rule)).toContain('Sandbox Disk Limit Reached');
    const spam = (await send('spammer report', `/v1/analyses/${bySample.spammer.id}/report`)).json;
    expect(spam.output.stdoutTruncated).toBe(true);

    // Failed authentications from one address: throttled with 429 and Retry-After (last: it blocks this address).
    let throttled: { status: number; headers: Headers } | undefined;
    for (let i = 0; i < 40 && !throttled; i++) {
      const r = await send('wrong key', '/v1/analyses', { key: `qk_wrong_${i}` });
      if (r.status === 429) throttled = r;
      else expect(r.status).toBe(401);
    }
    expect(throttled?.headers.get('retry-after')).toMatch(/^\d+$/);

    health = await stopHealth();
    expect(health.polls).toBeGreaterThan(20);
    expect(health).toMatchObject({ failures: 0 });
    expect(health.max).toBeLessThan(1000);
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);

    // Nothing left behind: no sandbox of these analyses, no volume.
    expect(await sandboxesLeft(submitted.map((s) => s.json.id as string))).toEqual([]);
  }, 240_000);
});
