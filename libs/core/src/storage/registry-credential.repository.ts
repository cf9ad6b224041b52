import type { Redis } from 'ioredis';
import { type CredentialSecret, type CredentialSource, RegistryCredential, normalizeRegistryHost } from '../image/registry-credentials.js';
import { SecretBox } from '../secrets/secret-box.js';
import { Keys } from './redis-keys.js';

/** A stored credential as Redis holds it: the secret fields are AES-GCM envelopes bound to the host and field. */
interface StoredCredential {
  registry: string;
  username?: string;
  password?: string;
  identityToken?: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** What the API shows of a stored credential: never the secret, a hint instead. */
export interface CredentialView {
  registry: string;
  username: string | null;
  kind: 'basic' | 'identity-token';
  hint: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

type SecretField = 'password' | 'identityToken';
const SECRET_FIELDS: readonly SecretField[] = ['password', 'identityToken'];

export function credentialAad(registry: string, field: SecretField): string {
  return `registry-credential:${registry}:${field}`;
}

/** SET KEYS[1] to ARGV[2] only if it still holds ARGV[1]. */
const CAS_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/**
 * Registry credentials managed through the API (`PUT/GET/DELETE /v1/registries/:host/credentials`),
 * stored encrypted like webhook secrets (docs/security.md "Secrets at rest"): `password` and
 * `identityToken` are SecretBox envelopes whose AAD binds them to the host and field, so a value
 * copied to another host's record does not decrypt. `get` decrypts for the registry client (the
 * CredentialSource the worker's gate and pull use); `view` never returns a secret.
 */
export class RegistryCredentialRepository implements CredentialSource {
  constructor(
    private readonly redis: Redis,
    private readonly box: SecretBox = new SecretBox(null),
    private readonly onSecretsDeleted: () => void = () => undefined,
  ) {}

  /** Stores (or replaces) the credential of `registry` (already normalized). Throws SecretKeyMissingError without a key. */
  async put(registry: string, secret: CredentialSecret, by: string, now = new Date()): Promise<CredentialView> {
    const raw = await this.redis.get(Keys.registryCredential(registry));
    const prev = raw ? (JSON.parse(raw) as StoredCredential) : null;
    const at = now.toISOString();
    const rec: StoredCredential = {
      registry,
      ...(secret.username !== undefined ? { username: secret.username } : {}),
      ...(secret.password !== undefined ? { password: this.box.encrypt(secret.password, credentialAad(registry, 'password')) } : {}),
      ...(secret.identityToken !== undefined ? { identityToken: this.box.encrypt(secret.identityToken, credentialAad(registry, 'identityToken')) } : {}),
      createdAt: prev?.createdAt ?? at,
      updatedAt: at,
      updatedBy: by,
    };
    await this.redis.multi().set(Keys.registryCredential(registry), JSON.stringify(rec)).zadd(Keys.registryCredentials, now.getTime(), registry).exec();
    if (prev) this.onSecretsDeleted();
    return this.viewOf(rec, secret);
  }

  async view(registry: string): Promise<CredentialView | null> {
    const raw = await this.redis.get(Keys.registryCredential(registry));
    if (!raw) return null;
    const rec = JSON.parse(raw) as StoredCredential;
    return this.viewOf(rec, this.open(rec));
  }

  async list(limit = 500): Promise<CredentialView[]> {
    const hosts = await this.redis.zrange(Keys.registryCredentials, '0', String(limit - 1));
    if (hosts.length === 0) return [];
    const raws = await this.redis.mget(hosts.map((h) => Keys.registryCredential(h)));
    const out: CredentialView[] = [];
    for (const raw of raws) {
      if (!raw) continue;
      const rec = JSON.parse(raw) as StoredCredential;
      let secret: CredentialSecret;
      try {
        secret = this.open(rec);
      } catch {
        secret = { username: rec.username };
      }
      out.push(this.viewOf(rec, secret));
    }
    return out;
  }

  async remove(registry: string): Promise<boolean> {
    const res = (await this.redis.multi().del(Keys.registryCredential(registry)).zrem(Keys.registryCredentials, registry).exec()) as [[unknown, number]];
    const removed = res[0][1] === 1;
    if (removed) this.onSecretsDeleted();
    return removed;
  }

  /** The decrypted credential for the registry client; undefined when none is stored. */
  async get(registry: string): Promise<RegistryCredential | undefined> {
    const host = normalizeRegistryHost(registry);
    if (!host) return undefined;
    const raw = await this.redis.get(Keys.registryCredential(host));
    if (!raw) return undefined;
    return new RegistryCredential(host, this.open(JSON.parse(raw) as StoredCredential), 'api');
  }

  /**
   * Brings every stored credential to the current key (rotation; plain text never exists here, but
   * envelopes of a previous key do). Compare-and-set per record, so workers may run it at once.
   */
  async reencryptAll(): Promise<{ scanned: number; reencrypted: number; failed: { id: string; error: string }[] }> {
    const out = { scanned: 0, reencrypted: 0, failed: [] as { id: string; error: string }[] };
    if (!this.box.canEncrypt) return out;
    const hosts = await this.redis.zrange(Keys.registryCredentials, '0', '-1');
    for (const host of hosts) {
      out.scanned++;
      try {
        const raw = await this.redis.get(Keys.registryCredential(host));
        if (!raw) continue;
        const rec = JSON.parse(raw) as StoredCredential;
        const stale = SECRET_FIELDS.filter((f) => typeof rec[f] === 'string' && rec[f] !== '' && !this.box.isCurrent(rec[f]!));
        if (stale.length === 0) continue;
        const next = { ...rec };
        for (const f of stale) next[f] = this.box.encrypt(this.box.decrypt(rec[f]!, credentialAad(rec.registry, f)), credentialAad(rec.registry, f));
        if ((await this.redis.eval(CAS_SCRIPT, 1, Keys.registryCredential(host), raw, JSON.stringify(next))) === 1) out.reencrypted++;
      } catch (e) {
        out.failed.push({ id: host, error: (e as Error).message });
      }
    }
    return out;
  }

  private open(rec: StoredCredential): CredentialSecret {
    return {
      ...(rec.username !== undefined ? { username: rec.username } : {}),
      ...(rec.password !== undefined ? { password: this.box.decrypt(rec.password, credentialAad(rec.registry, 'password')) } : {}),
      ...(rec.identityToken !== undefined ? { identityToken: this.box.decrypt(rec.identityToken, credentialAad(rec.registry, 'identityToken')) } : {}),
    };
  }

  private viewOf(rec: StoredCredential, secret: CredentialSecret): CredentialView {
    const d = new RegistryCredential(rec.registry, secret, 'api').describe();
    return { registry: rec.registry, username: d.username, kind: secret.identityToken ? 'identity-token' : 'basic', hint: d.hint, createdAt: rec.createdAt, updatedAt: rec.updatedAt, updatedBy: rec.updatedBy };
  }
}
