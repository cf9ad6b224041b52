import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { e2eProfilesDir } from '../support/profiles.js';
import { type Stack, client, startStack } from '../support/stack.js';

/**
 * The web console in a real browser: Debian's Chromium, headless, driven by playwright-core, against
 * the real API and worker. Signs in with an API key, submits the demo image, follows it to its
 * verdict, opens the HTML report; admins see the queues (bull-board), analysts do not. Screenshots go
 * to test-results/ (TEST_ARTIFACTS_DIR).
 */
let stack: Stack;
let browser: Browser;
let analystKey: string;
const shots = process.env.TEST_ARTIFACTS_DIR ?? join(process.cwd(), 'test-results');

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  stack = await startStack({ db: 31, workers: 1, env: { PROFILES_DIR: e2eProfilesDir('3s') } });
  const key = await client(stack).call('POST', '/v1/api-keys', { name: 'console-analyst', role: 'analyst' });
  analystKey = key.json.key;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(key: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.base}/ui/analyses`);
  expect(await page.title()).toContain('Error 401');
  await page.click('text=Sign in with an API key');
  await page.fill('input[name=key]', key);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL('**/ui/analyses');
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'quarantine_key')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
  return { context, page };
}

describe('web console (Chromium)', () => {
  it('an analyst signs in, submits the demo image, follows it to its verdict and reads the report; the queues are not theirs', async () => {
    const { context, page } = await signIn(analystKey);
    await page.fill('form[action="/ui/analyses"] input[name=image]', 'quarantine-samples/hello:latest');
    await page.selectOption('select[name=profile]', 'e2e');
    await page.click('button:has-text("Submit")');
    await page.waitForURL(/\/ui\/analyses\/[0-9a-f-]{36}$/);
    // The page refreshes itself until the analysis is done.
    await page.waitForSelector('#status:text("completed")', { timeout: 60_000 });
    expect(await page.textContent('h1')).toContain('clean');
    await page.screenshot({ path: join(shots, 'console-analysis.png'), fullPage: true });
    await page.click('#report');
    await page.waitForSelector('section#findings');
    expect(await page.textContent('header h1')).toContain('quarantine-samples/hello:latest');
    await page.screenshot({ path: join(shots, 'console-report.png'), fullPage: true });

    await page.goto(`${stack.base}/ui/analyses?verdict=clean`);
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    await page.goto(`${stack.base}/ui/queues`);
    expect(await page.textContent('body')).toContain('the queues are for admins');
    const hooks = await page.goto(`${stack.base}/ui/webhooks`);
    expect(hooks?.status()).toBe(403);

    // A form posted without the page's CSRF token is refused, cookie or not.
    const forged = await page.request.post(`${stack.base}/ui/analyses`, { form: { image: 'quarantine-samples/hello:latest' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('CSRF');

    await page.goto(`${stack.base}/ui/analyses`);
    await page.click('button:has-text("Sign out")');
    await page.waitForURL('**/ui/login');
    expect((await context.cookies()).find((c) => c.name === 'quarantine_key')).toBeUndefined();
    await context.close();
  }, 90_000);

  it('an admin sees webhooks and the queues (bull-board); a wrong key is refused', async () => {
    const { context, page } = await signIn(stack.adminKey);
    await page.goto(`${stack.base}/ui/webhooks`);
    expect(await page.textContent('h1')).toBe('Webhooks');
    await page.goto(`${stack.base}/ui/queues`);
    await page.waitForSelector('text=analysis', { timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'console-queues.png') });
    await context.close();

    const anon = await browser.newPage();
    await anon.goto(`${stack.base}/ui/login`);
    await anon.fill('input[name=key]', 'qk_not_a_key');
    await anon.click('button:has-text("Sign in")');
    expect(await anon.textContent('.err')).toContain('unknown API key');
    await anon.close();
  }, 60_000);
});
