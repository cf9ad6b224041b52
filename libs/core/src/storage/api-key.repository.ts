import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Keys } from './redis-keys.js';

export type Role = 'analyst' | 'admin';
export const ROLES: readonly Role[] = ['analyst', 'admin'];

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  /** First characters of the key, so a human can tell keys apart. Never the key. */
  prefix: string;
}

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** API keys stored hashed (sha256 of a 256-bit random key): the key itself is shown once. */
export class ApiKeyRepository {
  /** SHA-256 of the bootstrap admin key: compared digest to digest, so neither its bytes nor its length leak through timing or errors. */
  private readonly adminDigest?: Buffer;

  constructor(
    private readonly redis: Redis,
    adminKey?: string,
  ) {
    this.adminDigest = adminKey ? digest(adminKey) : undefined;
  }

  async issue(name: string, role: Role): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `qk_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = { id: randomUUID(), name, role, createdAt: new Date().toISOString(), prefix: key.slice(0, 8) };
    await this.redis.multi().set(Keys.apiKey(hashKey(key)), JSON.stringify(record)).hset(Keys.apiKeyIndex, record.id, hashKey(key)).exec();
    return { key, record };
  }

  async authenticate(key: string): Promise<Principal | null> {
    if (this.adminDigest && timingSafeEqual(digest(key), this.adminDigest)) {
      return { keyId: 'bootstrap-admin', name: 'bootstrap admin', role: 'admin' };
    }
    const raw = await this.redis.get(Keys.apiKey(hashKey(key)));
    if (!raw) return null;
    const rec = JSON.parse(raw) as ApiKeyRecord;
    return { keyId: rec.id, name: rec.name, role: rec.role };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const hashes = Object.values(await this.redis.hgetall(Keys.apiKeyIndex));
    if (hashes.length === 0) return [];
    const raws = await this.redis.mget(hashes.map((h) => Keys.apiKey(h)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as ApiKeyRecord).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(id: string): Promise<boolean> {
    const hash = await this.redis.hget(Keys.apiKeyIndex, id);
    if (!hash) return false;
    await this.redis.multi().del(Keys.apiKey(hash)).hdel(Keys.apiKeyIndex, id).exec();
    return true;
  }
}
