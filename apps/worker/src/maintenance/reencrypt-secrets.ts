/**
 * `npm run secrets:reencrypt`: re-encrypts every stored secret with QUARANTINE_SECRET_KEY (after a
 * rotation, before removing the old key from QUARANTINE_PREVIOUS_SECRET_KEYS), then asks Redis to
 * rewrite its AOF and waits for that to start. Prints a JSON summary; exits 1 if a record failed.
 */
import { loadConfig } from '#core/config/config';
import { createRedis } from '#core/nest/core.module';
import { SecretBox } from '#core/secrets/secret-box';
import { AofCompactor } from '#core/storage/aof-compactor';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';

const config = loadConfig(process.env);
if (!config.secretKey) {
  process.stderr.write('reencrypt-secrets: QUARANTINE_SECRET_KEY is not set\n');
  process.exit(2);
}
const redis = createRedis(config.redisUrl, 'quarantine-reencrypt');
const aof = new AofCompactor(redis, { debounceMs: 0 });
try {
  const repo = new WebhookRepository(redis, new SecretBox(config.secretKey, config.previousSecretKeys), () => aof.request());
  const summary = await repo.reencryptAll();
  const creds = await new RegistryCredentialRepository(redis, new SecretBox(config.secretKey, config.previousSecretKeys), () => aof.request()).reencryptAll();
  summary.scanned += creds.scanned;
  summary.reencrypted += creds.reencrypted;
  summary.failed.push(...creds.failed.map((f) => ({ id: `registry:${f.id}`, error: f.error })));
  if (summary.reencrypted > 0) {
    aof.request();
    await aof.settled();
  }
  process.stdout.write(`${JSON.stringify({ ...summary, aofRewrite: aof.lastOutcome })}\n`);
  process.exitCode = summary.failed.length > 0 ? 1 : 0;
} finally {
  aof.close();
  await redis.quit().catch(() => redis.disconnect());
}
