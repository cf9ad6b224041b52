import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../../../../test/support/ports.js';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { SecretBox, SecretKeyMissingError } from '../secrets/secret-box.js';
import { generateSecret } from '../webhooks/signing.js';
import type { WebhookSubscription } from '../webhooks/webhook.types.js';
import { AofCompactor } from './aof-compactor.js';
import { Keys } from './redis-keys.js';
import { WebhookRepository } from './webhook.repository.js';

function sub(over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: randomUUID(),
    url: 'https://tickets.example/rest/api/2/issue',
    events: ['analysis.completed'],
    filter: {},
    format: 'jira',
    secret: generateSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    ticket: { projectKey: 'SEC', authorization: `Basic ${randomBytes(18).toString('base64')}` },
    enabled: true,
    disabledReason: null,
    createdAt: new Date().toISOString(),
    createdBy: 'admin',
    ...over,
  };
}

describe('webhook secrets at rest (real Redis)', () => {
  const redis = new Redis(testRedisUrl(25), { maxRetriesPerRequest: 3 });
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  beforeEach(() => redis.flushdb());
  afterAll(() => redis.quit());

  it('stores neither the signing secret nor the ticket credential in plain text; reads give them back', async () => {
    const repo = new WebhookRepository(redis, new SecretBox(k1));
    const s = sub();
    await repo.create(s);
    await repo.patch(s.id, (cur) => ({ secret: generateSecret(), previousSecret: cur.secret, previousSecretExpiresAt: new Date(Date.now() + 60_000).toISOString() }));
    const raw = (await redis.get(Keys.webhook(s.id)))!;
    expect(raw).not.toContain(s.secret.slice(6));
    expect(raw).not.toContain(s.ticket!.authorization!.slice(6));
    expect(raw).toContain('"previousSecret":"qenc:v1:');
    const back = (await repo.get(s.id))!;
    expect(back.previousSecret).toBe(s.secret);
    expect(back.ticket?.authorization).toBe(s.ticket!.authorization);
    expect((await repo.list()).map((x) => x.previousSecret)).toEqual([s.secret]);
  });

  it('a ciphertext copied into another subscription does not decrypt', async () => {
    const repo = new WebhookRepository(redis, new SecretBox(k1));
    const a = sub();
    const b = sub();
    await repo.create(a);
    await repo.create(b);
    const rawA = JSON.parse((await redis.get(Keys.webhook(a.id)))!);
    const rawB = JSON.parse((await redis.get(Keys.webhook(b.id)))!);
    await redis.set(Keys.webhook(b.id), JSON.stringify({ ...rawB, secret: rawA.secret }));
    await expect(repo.get(b.id)).rejects.toThrow(/moved from another record/);
  });

  it('without a key: nothing new is stored, and subscriptions stored in plain text by the previous version keep working', async () => {
    const legacy = sub();
    await redis.multi().set(Keys.webhook(legacy.id), JSON.stringify(legacy)).zadd(Keys.webhooks, Date.now(), legacy.id).exec();
    const keyless = new WebhookRepository(redis, new SecretBox(null));
    await expect(keyless.create(sub())).rejects.toThrow(SecretKeyMissingError);
    expect((await keyless.patch(legacy.id, () => ({ enabled: false })))?.secret).toBe(legacy.secret);
    await expect(keyless.patch(legacy.id, () => ({ secret: generateSecret() }))).rejects.toThrow(SecretKeyMissingError);
    expect((await keyless.reencryptAll()).reencrypted).toBe(0);
  });

  it('migrates plain-text secrets of the previous version, then a key rotation, losing nothing', async () => {
    const legacy = Array.from({ length: 5 }, () => sub());
    const expired = sub({ previousSecret: generateSecret(), previousSecretExpiresAt: new Date(Date.now() - 1000).toISOString() });
    for (const s of [...legacy, expired]) await redis.multi().set(Keys.webhook(s.id), JSON.stringify(s)).zadd(Keys.webhooks, Date.now(), s.id).exec();

    const first = await new WebhookRepository(redis, new SecretBox(k1)).reencryptAll(Date.now(), 2);
    expect(first).toMatchObject({ scanned: 6, reencrypted: 6, plaintext: 13, expiredDropped: 1, failed: [] });
    for (const s of [...legacy, expired]) {
      const raw = (await redis.get(Keys.webhook(s.id)))!;
      expect(raw).not.toContain(s.secret.slice(6));
      expect(raw).not.toContain(s.ticket!.authorization!.slice(6));
    }
    expect((await redis.get(Keys.webhook(expired.id)))!).not.toContain(expired.previousSecret!.slice(6));

    // Rotation: k2 current, k1 previous; everything still reads, the pass moves it to k2.
    const rotated = new WebhookRepository(redis, new SecretBox(k2, [k1]));
    expect((await rotated.get(legacy[0].id))?.secret).toBe(legacy[0].secret);
    expect(await rotated.reencryptAll()).toMatchObject({ scanned: 6, reencrypted: 6, plaintext: 0, failed: [] });
    expect(await rotated.reencryptAll()).toMatchObject({ reencrypted: 0 });
    const onlyK2 = new WebhookRepository(redis, new SecretBox(k2));
    for (const s of legacy) {
      const got = (await onlyK2.get(s.id))!;
      expect([got.secret, got.ticket?.authorization]).toEqual([s.secret, s.ticket!.authorization]);
    }
    await expect(new WebhookRepository(redis, new SecretBox(k1)).get(legacy[0].id)).rejects.toThrow(/neither QUARANTINE_SECRET_KEY/);
  });
});

describe('AOF after a webhook is deleted (own redis-server, appendonly yes)', () => {
  let proc: ChildProcess;
  let dir: string;
  let redis: Redis;
  const aofBytes = () => {
    const d = join(dir, 'appendonlydir');
    return Buffer.concat(readdirSync(d).map((f) => readFileSync(join(d, f)))).toString('latin1');
  };
  const rewriteDone = async () => {
    for (let i = 0; i < 200; i++) {
      const info = await redis.info('persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('AOF rewrite did not finish');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'q-aof-'));
    const port = await freeLoopbackPort();
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
    redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 3, retryStrategy: (n) => (n > 50 ? null : 50) });
    for (let i = 0; i < 100 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
    await rewriteDone();
  });
  afterAll(async () => {
    await redis.quit().catch(() => undefined);
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rewrites the AOF so neither the secret nor its ciphertext stays on disk; a busy rewrite is retried', async () => {
    const aof = new AofCompactor(redis, { debounceMs: 20, retryMs: 20 });
    const repo = new WebhookRepository(redis, new SecretBox(randomBytes(32)), () => aof.request());
    const s = sub();
    await repo.create(s);
    const ciphertext = JSON.parse((await redis.get(Keys.webhook(s.id)))!).secret as string;
    expect(aofBytes()).toContain(ciphertext);
    // A rewrite that forked before the deletion still holds the record: the compactor must ask again.
    // (rdb-key-save-delay slows the rewrite child down: 150 ms per key.)
    await redis.config('SET', 'rdb-key-save-delay', '150000');
    await redis.bgrewriteaof();
    await repo.remove(s.id);
    await redis.config('SET', 'rdb-key-save-delay', '0');
    await aof.settled();
    expect(aof.busyCount).toBeGreaterThan(0);
    expect(aof.lastOutcome).toBe('started');
    await rewriteDone();
    const bytes = aofBytes();
    expect(bytes).not.toContain(ciphertext.split(':')[4]);
    expect(bytes).not.toContain(s.id);
    expect(bytes).not.toContain(s.secret.slice(6));
    aof.close();
  });

  it('debounces: deletions close together share one rewrite; with AOF off nothing is asked', async () => {
    const aof = new AofCompactor(redis, { debounceMs: 100, retryMs: 20 });
    const repo = new WebhookRepository(redis, new SecretBox(randomBytes(32)), () => aof.request());
    const subs = [sub(), sub(), sub()];
    for (const s of subs) await repo.create(s);
    const rewrites = async () => Number(/^aof_rewrites:(\d+)/m.exec(await redis.info('persistence'))![1]);
    const before = await rewrites();
    for (const s of subs) await repo.remove(s.id);
    await aof.settled();
    await rewriteDone();
    expect((await rewrites()) - before).toBe(1);
    aof.close();

    await redis.config('SET', 'appendonly', 'no');
    const off = new AofCompactor(redis, { debounceMs: 0 });
    off.request();
    await off.settled();
    expect(off.lastOutcome).toBe('disabled');
    expect(await rewrites()).toBe(before + 1);
    off.close();
  });
});
