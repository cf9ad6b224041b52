import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { ENVELOPE_PREFIX, SecretBox, SecretBoxError, SecretKeyMissingError, keyId, parseKey } from './secret-box.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('SecretBox (AES-256-GCM envelopes)', () => {
  it('round-trips, with a fresh IV each time and no plain text in the envelope', () => {
    const box = new SecretBox(k1);
    const a = box.encrypt('whsec_topsecretvalue', 'webhook:w1:secret');
    const b = box.encrypt('whsec_topsecretvalue', 'webhook:w1:secret');
    expect(a.startsWith(`${ENVELOPE_PREFIX}${keyId(k1)}:`)).toBe(true);
    expect(a).not.toBe(b);
    expect(a).not.toContain('topsecret');
    expect(box.decrypt(a, 'webhook:w1:secret')).toBe('whsec_topsecretvalue');
  });

  it('binds a ciphertext to its record and field: moved elsewhere, it does not decrypt', () => {
    const box = new SecretBox(k1);
    const env = box.encrypt('Basic dXNlcjpwYXNz', 'webhook:w1:ticket.authorization');
    expect(() => box.decrypt(env, 'webhook:w2:ticket.authorization')).toThrow(SecretBoxError);
    expect(() => box.decrypt(env, 'webhook:w1:secret')).toThrow(/moved from another record/);
  });

  it('detects tampering', () => {
    const box = new SecretBox(k1);
    const env = box.encrypt('whsec_abc', 'x');
    const parts = env.split(':');
    const ct = Buffer.from(parts[4], 'base64url');
    ct[0] ^= 1;
    parts[4] = ct.toString('base64url');
    expect(() => box.decrypt(parts.join(':'), 'x')).toThrow(SecretBoxError);
    expect(() => box.decrypt(`${ENVELOPE_PREFIX}${keyId(k1)}:nope`, 'x')).toThrow(/malformed/);
  });

  it('rotation: previous keys decrypt, new writes use the current key; an unknown key id is named', () => {
    const old = new SecretBox(k1).encrypt('whsec_old', 'a');
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.decrypt(old, 'a')).toBe('whsec_old');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.encrypt('whsec_new', 'a'))).toBe(true);
    expect(() => new SecretBox(k2).decrypt(old, 'a')).toThrow(new RegExp(`key id ${keyId(k1)}`));
    expect(() => new SecretBox(null).decrypt(old, 'a')).toThrow(/QUARANTINE_SECRET_KEY is not set/);
  });

  it('reads plain text stored before encryption at rest as it is; refuses to encrypt without a key', () => {
    expect(new SecretBox(k1).decrypt('whsec_legacy', 'a')).toBe('whsec_legacy');
    expect(new SecretBox(k1).isCurrent('whsec_legacy')).toBe(false);
    expect(() => new SecretBox(null).encrypt('whsec_x', 'a')).toThrow(SecretKeyMissingError);
  });

  it('parses 32-byte keys as hex or base64 only', () => {
    expect(parseKey(k1.toString('hex'))).toEqual(k1);
    expect(parseKey(k1.toString('base64'))).toEqual(k1);
    expect(parseKey(k1.toString('base64url'))).toEqual(k1);
    expect(parseKey(randomBytes(16).toString('hex'))).toBeNull();
    expect(parseKey(randomBytes(31).toString('base64'))).toBeNull();
    expect(parseKey('correct horse battery staple correct horse ba')).toBeNull();
  });
});

describe('config: QUARANTINE_SECRET_KEY, QUARANTINE_PREVIOUS_SECRET_KEYS, RETENTION_DAYS', () => {
  it('defaults: no key, 90 days', () => {
    expect(loadConfig({})).toMatchObject({ secretKey: null, previousSecretKeys: [], retentionDays: 90 });
  });

  it('accepts hex and base64 keys', () => {
    const c = loadConfig({ QUARANTINE_SECRET_KEY: k1.toString('base64'), QUARANTINE_PREVIOUS_SECRET_KEYS: ` ${k2.toString('hex')} ,` });
    expect(c.secretKey?.bytes).toEqual(k1);
    expect(c.previousSecretKeys.map((k) => k.bytes)).toEqual([k2]);
    // Logging or serialising the configuration never shows key bytes.
    for (const shown of [JSON.stringify(c), inspect(c, { depth: 5 }), String(c.secretKey)]) {
      expect(shown).toContain(`[secret key ${keyId(k1)}]`);
      expect(shown).not.toContain(k1.toString('hex').slice(0, 16));
      expect(shown).not.toMatch(/Buffer|"data":\[/);
    }
    expect(loadConfig({ RETENTION_DAYS: '7' }).retentionDays).toBe(7);
  });

  it.each([
    ['a short key', { QUARANTINE_SECRET_KEY: 'too-short' }, /QUARANTINE_SECRET_KEY must be 32 bytes/],
    ['a 24-byte key', { QUARANTINE_SECRET_KEY: randomBytes(24).toString('base64') }, /QUARANTINE_SECRET_KEY must be 32 bytes/],
    ['a bad previous key', { QUARANTINE_SECRET_KEY: k1.toString('hex'), QUARANTINE_PREVIOUS_SECRET_KEYS: `${k2.toString('hex')},nope` }, /QUARANTINE_PREVIOUS_SECRET_KEYS entry 2/],
    ['previous keys without a current one', { QUARANTINE_PREVIOUS_SECRET_KEYS: k2.toString('hex') }, /QUARANTINE_SECRET_KEY is required/],
    ['0 days', { RETENTION_DAYS: '0' }, /RETENTION_DAYS/],
    ['1.5 days', { RETENTION_DAYS: '1.5' }, /RETENTION_DAYS/],
  ])('stops on %s', (_name, env, re) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(re);
  });
});
