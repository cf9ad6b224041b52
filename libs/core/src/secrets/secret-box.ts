import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/**
 * Secrets at rest (docs/security.md, "Secrets at rest"): AES-256-GCM with Node's crypto, one
 * envelope per stored value:
 *
 *   qenc:v1:<key id>:<iv, base64url>:<ciphertext, base64url>:<tag, base64url>
 *
 * The key id is derived from the key (first 8 bytes of SHA-256 over a label and the key), so the
 * operator configures keys only, never ids; it says which key decrypts, and rotation is: make a
 * new key current, keep the old one among the previous keys until everything is re-encrypted.
 * The additional authenticated data binds a ciphertext to its record and field (for example
 * `webhook:<id>:secret`): a value copied into another record or field does not decrypt.
 */
export const ENVELOPE_PREFIX = 'qenc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** No key is configured: secrets cannot be stored (the API answers 503 naming QUARANTINE_SECRET_KEY). */
export class SecretKeyMissingError extends SecretBoxError {
  constructor() {
    super('QUARANTINE_SECRET_KEY is not set: secrets (webhook signing secrets, ticket credentials) cannot be stored encrypted');
    this.name = 'SecretKeyMissingError';
  }
}

/** The id of a key: 16 hex characters, a one-way function of the key. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('quarantine-secret-key-id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * Parses a 32-byte key written as 64 hex characters or as base64 (44 characters with padding, or
 * 43 without; base64url accepted). Returns null when it is neither; the caller names the variable.
 */
export function parseKey(raw: string): Buffer | null {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return null;
}

/**
 * A key as the configuration holds it: the bytes, and a face that never shows them — logging or
 * serialising the configuration prints the key id only.
 */
export class KeyMaterial {
  readonly id: string;
  constructor(readonly bytes: Buffer) {
    this.id = keyId(bytes);
  }
  toJSON(): string {
    return `[secret key ${this.id}]`;
  }
  toString(): string {
    return this.toJSON();
  }
  [inspect.custom](): string {
    return this.toJSON();
  }
}

export function isEnvelope(value: string): boolean {
  return value.startsWith(ENVELOPE_PREFIX);
}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  /** The id new writes use; null when no key is configured. */
  readonly currentKeyId: string | null;

  /** `current` encrypts and decrypts; `previous` only decrypt (rotation). */
  constructor(current: Buffer | KeyMaterial | null, previous: readonly (Buffer | KeyMaterial)[] = []) {
    const bytes = (k: Buffer | KeyMaterial) => (k instanceof KeyMaterial ? k.bytes : k);
    for (const k of [current, ...previous]) {
      if (!k) continue;
      const b = bytes(k);
      if (b.length !== 32) throw new SecretBoxError(`an AES-256 key is 32 bytes, got ${b.length}`);
      this.keys.set(keyId(b), Buffer.from(b));
    }
    this.currentKeyId = current ? keyId(bytes(current)) : null;
  }

  get canEncrypt(): boolean {
    return this.currentKeyId !== null;
  }

  encrypt(plaintext: string, aad: string): string {
    if (!this.currentKeyId) throw new SecretKeyMissingError();
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${ENVELOPE_PREFIX}${this.currentKeyId}:${iv.toString('base64url')}:${ct.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}`;
  }

  /**
   * The plaintext of an envelope. A value that is not an envelope is a plain-text secret stored
   * by a version before encryption at rest: returned as it is (the re-encryption pass encrypts it).
   */
  decrypt(value: string, aad: string): string {
    if (!isEnvelope(value)) return value;
    const parts = value.slice(ENVELOPE_PREFIX.length).split(':');
    if (parts.length !== 4) throw new SecretBoxError('malformed secret envelope');
    const [kid, ivB64, ctB64, tagB64] = parts;
    const key = this.keys.get(kid);
    if (!key) {
      throw new SecretBoxError(
        this.keys.size === 0
          ? `a stored secret is encrypted (key id ${kid}) but QUARANTINE_SECRET_KEY is not set`
          : `a stored secret is encrypted with key id ${kid}, which is neither QUARANTINE_SECRET_KEY nor one of QUARANTINE_PREVIOUS_SECRET_KEYS`,
      );
    }
    const iv = Buffer.from(ivB64, 'base64url');
    const tag = Buffer.from(tagB64, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('malformed secret envelope');
    try {
      const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(Buffer.from(ctB64, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`a stored secret does not authenticate (key id ${kid}, bound to "${aad}"): tampered, or moved from another record`);
    }
  }

  /** True when `value` is stored as it should be: an envelope under the current key (or nothing to do without a key). */
  isCurrent(value: string): boolean {
    if (!this.currentKeyId) return isEnvelope(value);
    return value.startsWith(`${ENVELOPE_PREFIX}${this.currentKeyId}:`);
  }
}
