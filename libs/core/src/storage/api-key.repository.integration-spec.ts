import { Redis } from 'ioredis';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { ApiKeyRepository } from './api-key.repository.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(testRedisUrl(23), { maxRetriesPerRequest: 3 });
  await redis.flushdb();
});
afterAll(async () => {
  await redis.flushdb();
  redis.disconnect();
});

it('compares keys as fixed-length digests: any bytes, any length, never a throw', async () => {
  const admin = 'admin-key-0123456789abcdef';
  const repo = new ApiKeyRepository(redis, admin);
  const n = admin.length;
  for (const key of ['é'.repeat(n), `é${admin.slice(1)}`, `${admin.slice(0, -2)}é`, '', 'x', 'x'.repeat(n), 'x'.repeat(100_000), '\u0000'.repeat(n), '\ud800'.repeat(n)]) {
    await expect(repo.authenticate(key)).resolves.toBeNull();
  }
  await expect(repo.authenticate(admin)).resolves.toMatchObject({ role: 'admin', keyId: 'bootstrap-admin' });
  const { key } = await repo.issue('ci', 'analyst');
  await expect(repo.authenticate(key)).resolves.toMatchObject({ role: 'analyst', name: 'ci' });
});
