import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the secret's bytes, base64;
 * the header lists `v1,<sig>` entries separated by spaces (two during a secret rotation).
 */
import type { WebhookSubscription } from './webhook.types.js';

export const SECRET_PREFIX = 'whsec_';

export class WebhookSecretError extends Error {}

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The key bytes of a `whsec_<base64>` secret (24 to 64 bytes); throws WebhookSecretError otherwise. */
export function secretKey(secret: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) throw new WebhookSecretError(`must start with "${SECRET_PREFIX}"`);
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new WebhookSecretError('must be whsec_ followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length < 24 || key.length > 64) throw new WebhookSecretError(`key must be 24 to 64 bytes, got ${key.length}`);
  return key;
}

export function sign(secret: string, msgId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers for one attempt; every active secret signs (current first). */
export function signatureHeaders(secrets: readonly string[], msgId: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': secrets.map((s) => sign(s, msgId, timestampSec, body)).join(' '),
  };
}

/** Receiver side: true if any `v1,` signature in the header matches and the timestamp is within tolerance. */
export function verify(secret: string, headers: Record<string, string | undefined>, body: string, opts: { toleranceSec?: number; nowSec?: number } = {}): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (!id || !Number.isInteger(ts) || !sigs) return false;
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64');
  return sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** The current secret, and the previous one while its rotation grace period lasts. */
export function activeSecrets(sub: Pick<WebhookSubscription, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now = Date.now()): string[] {
  const out = [sub.secret];
  if (sub.previousSecret && sub.previousSecretExpiresAt && Date.parse(sub.previousSecretExpiresAt) > now) out.push(sub.previousSecret);
  return out;
}
