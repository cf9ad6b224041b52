import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SecretBox } from '#core/secrets/secret-box';
import { AofCompactor } from '#core/storage/aof-compactor';
import { type ReencryptSummary, WebhookRepository } from '#core/storage/webhook.repository';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';

/**
 * At worker start: every stored secret is brought to QUARANTINE_SECRET_KEY (plain text left by a
 * version before encryption at rest, envelopes of a previous key, expired rotation secrets), then
 * the AOF is rewritten so the old forms leave the disk. Safe with several workers starting at once
 * (compare-and-set per record). Without a key it only warns when plain-text secrets remain.
 */
@Injectable()
export class SecretsMigrationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SecretsMigrationService.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly registryCredentials: RegistryCredentialRepository,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(AofCompactor) private readonly aof: AofCompactor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.box.canEncrypt) {
      this.logger.warn('QUARANTINE_SECRET_KEY is not set: webhooks cannot be created or rotated (503) and stored plain-text secrets are not encrypted (docs/security.md)');
      return;
    }
    // Not awaited: a large store must not hold the worker's start; failures are logged.
    void this.run().catch((e) => this.logger.error(`secret re-encryption failed: ${(e as Error).message}`));
  }

  async run(): Promise<ReencryptSummary | { skipped: 'QUARANTINE_SECRET_KEY is not set' }> {
    if (!this.box.canEncrypt) return { skipped: 'QUARANTINE_SECRET_KEY is not set' };
    const s = await this.webhooks.reencryptAll();
    // Registry credentials (docs/registries.md) ride along: counted in the same summary.
    const r = await this.registryCredentials.reencryptAll();
    s.scanned += r.scanned;
    s.reencrypted += r.reencrypted;
    s.failed.push(...r.failed.map((f) => ({ id: `registry:${f.id}`, error: f.error })));
    if (s.reencrypted > 0) this.aof.request();
    const log = { msg: 'secrets re-encrypted', keyId: this.box.currentKeyId, scanned: s.scanned, reencrypted: s.reencrypted, plaintext: s.plaintext, expiredDropped: s.expiredDropped, failed: s.failed.length };
    if (s.failed.length) this.logger.error({ ...log, failures: s.failed.slice(0, 20) });
    else if (s.reencrypted > 0) this.logger.log(log);
    return s;
  }
}
