import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The web console's session: the API key itself, in an HttpOnly, SameSite=Strict cookie scoped to
 * /ui (so the REST API never sees it), 8 hours. Forms carry a CSRF token derived from the key
 * (HMAC-SHA256), checked on every state-changing console request; SameSite=Strict is the first wall.
 */
export const SESSION_COOKIE = 'quarantine_key';
export const SESSION_MAX_AGE_S = 8 * 3600;
export const CSRF_FIELD = '_csrf';

export function csrfToken(key: string): string {
  return createHmac('sha256', key).update('quarantine-console-csrf-v1').digest('base64url');
}

export function csrfValid(key: string, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  const want = Buffer.from(csrfToken(key));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The session key from a Cookie header, if well-formed (visible ASCII, ≤ 512). */
export function sessionKey(cookieHeader: string | string[] | undefined): string | undefined {
  const header = Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader;
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0 || part.slice(0, i).trim() !== SESSION_COOKIE) continue;
    let v = part.slice(i + 1).trim();
    try {
      v = decodeURIComponent(v);
    } catch {
      return undefined;
    }
    return /^[\x21-\x7e]{1,512}$/.test(v) ? v : undefined;
  }
  return undefined;
}

export function sessionCookie(key: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(key)}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
