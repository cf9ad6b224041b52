import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

/**
 * Credentials for private registries (docs/registries.md): a Docker `config.json`-style file
 * (REGISTRY_AUTH_FILE) and entries managed through the API (stored encrypted, see
 * storage/registry-credential.repository.ts). Plain TypeScript: no Nest, no Redis.
 *
 * A credential never shows its secret: `toJSON`, `toString` and `util.inspect` print the registry,
 * the username and a hint only, so a credential that ends up in a log line or an error body leaks
 * nothing.
 */

/** Longest username / password / identity token accepted (from the file or the API). */
export const MAX_CREDENTIAL_CHARS = 4096;
/** Most registries one auth file may name. */
export const MAX_AUTH_FILE_ENTRIES = 256;
/** Largest auth file read. */
export const MAX_AUTH_FILE_BYTES = 1024 * 1024;

export interface CredentialSecret {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` of docker's config.json): exchanged at the token realm. */
  identityToken?: string;
}

export class RegistryCredential {
  constructor(
    readonly registry: string,
    private readonly secret: CredentialSecret,
    readonly source: 'file' | 'api',
  ) {}

  get username(): string | undefined {
    return this.secret.username;
  }
  get password(): string | undefined {
    return this.secret.password;
  }
  get identityToken(): string | undefined {
    return this.secret.identityToken;
  }
  /** `Basic base64(user:pass)`, or undefined when the credential is an identity token only. */
  basicAuthorization(): string | undefined {
    if (this.secret.username === undefined || this.secret.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.secret.username}:${this.secret.password}`, 'utf8').toString('base64')}`;
  }
  /** Docker Engine's AuthConfig for `POST /images/create` (dockerode `pull(name, {authconfig})`). */
  dockerAuthConfig(): { username?: string; password?: string; identitytoken?: string; serveraddress: string } {
    if (this.secret.identityToken) return { identitytoken: this.secret.identityToken, serveraddress: this.registry };
    return { username: this.secret.username, password: this.secret.password, serveraddress: this.registry };
  }
  /** What may be shown: never the secret. */
  describe(): { registry: string; username: string | null; hint: string; source: string } {
    return { registry: this.registry, username: this.secret.username ?? null, hint: secretHint(this.secret.password ?? this.secret.identityToken ?? ''), source: this.source };
  }
  toJSON(): unknown {
    return this.describe();
  }
  toString(): string {
    return `[registry credential ${this.registry} user ${this.secret.username ?? '-'}]`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A hint that tells two secrets apart without revealing either: the length class and the last 2 characters of long ones. */
export function secretHint(secret: string): string {
  if (secret.length === 0) return '(none)';
  if (secret.length < 12) return '****';
  return `****${secret.slice(-2)}`;
}

/** Anything that knows credentials by registry host. */
export interface CredentialSource {
  get(registry: string): Promise<RegistryCredential | undefined>;
}

/**
 * `host[:port]` as the credential is keyed: lower case, no scheme, no path (Docker's config.json
 * keys may be `https://index.docker.io/v1/`), Docker Hub's aliases folded to `docker.io`.
 * Returns null when the key is not a registry host.
 */
export function normalizeRegistryHost(raw: string): string | null {
  let s = raw.trim().toLowerCase();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.replace(/\/.*$/, '');
  if (!/^(\[[0-9a-f:]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/.test(s) || s.length > 255) return null;
  const port = /:(\d+)$/.exec(s);
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) return null;
  if (s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'registry.hub.docker.com') return 'docker.io';
  return s;
}

/** Checks one credential's fields (API body or file entry); returns the problem, naming the field, or null. */
export function credentialProblem(c: CredentialSecret): { field: string; message: string } | null {
  for (const f of ['username', 'password', 'identityToken'] as const) {
    const v = c[f];
    if (v === undefined) continue;
    if (typeof v !== 'string') return { field: f, message: 'must be a string' };
    if (v.length > MAX_CREDENTIAL_CHARS) return { field: f, message: `must be at most ${MAX_CREDENTIAL_CHARS} characters` };
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(v)) return { field: f, message: 'must not contain control characters' };
  }
  if (c.identityToken !== undefined) {
    if (c.identityToken === '') return { field: 'identityToken', message: 'must not be empty' };
    if (c.password !== undefined) return { field: 'password', message: 'give either password or identityToken, not both' };
    return null;
  }
  if (!c.username) return { field: 'username', message: 'is required (with password), unless identityToken is given' };
  if (c.username.includes(':')) return { field: 'username', message: 'must not contain ":" (basic auth)' };
  if (!c.password) return { field: 'password', message: 'is required with username' };
  return null;
}

export class AuthFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthFileError';
  }
}

/**
 * Parses a Docker `config.json`-style document: `{auths: {host: {auth: base64(user:pass)} |
 * {username, password} | {identitytoken}}}`. Entries with none of these (a credential helper's
 * placeholder) are skipped. Errors name the entry, never a secret.
 */
export function parseAuthFile(text: string): Map<string, RegistryCredential> {
  if (text.length > MAX_AUTH_FILE_BYTES) throw new AuthFileError(`is larger than ${MAX_AUTH_FILE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthFileError('is not valid JSON');
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (typeof doc !== 'object' || doc === null || typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    throw new AuthFileError('must be an object with an "auths" object (Docker config.json format)');
  }
  const entries = Object.entries(auths as Record<string, unknown>);
  if (entries.length > MAX_AUTH_FILE_ENTRIES) throw new AuthFileError(`names ${entries.length} registries (at most ${MAX_AUTH_FILE_ENTRIES})`);
  const out = new Map<string, RegistryCredential>();
  for (const [key, value] of entries) {
    const host = normalizeRegistryHost(key);
    const where = `auths["${key.slice(0, 100)}"]`;
    if (!host) throw new AuthFileError(`${where}: is not a registry host[:port]`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuthFileError(`${where}: must be an object`);
    const v = value as Record<string, unknown>;
    let secret: CredentialSecret;
    if (v.identitytoken !== undefined && v.identitytoken !== '') {
      secret = { identityToken: v.identitytoken as string, ...(typeof v.username === 'string' && v.username ? { username: v.username } : {}) };
    } else if (v.auth !== undefined && v.auth !== '') {
      if (typeof v.auth !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.auth)) throw new AuthFileError(`${where}.auth: is not base64`);
      const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new AuthFileError(`${where}.auth: must be base64 of "username:password"`);
      secret = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (v.username !== undefined || v.password !== undefined) {
      secret = { username: v.username as string, password: v.password as string };
    } else {
      continue;
    }
    const problem = credentialProblem(secret);
    if (problem) throw new AuthFileError(`${where}.${problem.field === 'identityToken' ? 'identitytoken' : problem.field}: ${problem.message}`);
    out.set(host, new RegistryCredential(host, secret, 'file'));
  }
  return out;
}

/** Reads REGISTRY_AUTH_FILE at boot; a missing or malformed file stops the process naming it. */
export function loadAuthFile(path: string): Map<string, RegistryCredential> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AuthFileError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAuthFile(text);
}

/** Credentials from a parsed file. */
export class StaticCredentials implements CredentialSource {
  constructor(private readonly entries: ReadonlyMap<string, RegistryCredential>) {}
  async get(registry: string): Promise<RegistryCredential | undefined> {
    const host = normalizeRegistryHost(registry);
    return host ? this.entries.get(host) : undefined;
  }
  hosts(): string[] {
    return [...this.entries.keys()];
  }
}

/** The first source that knows the registry wins (API-managed entries before the file). */
export class ChainedCredentials implements CredentialSource {
  constructor(private readonly sources: readonly CredentialSource[]) {}
  async get(registry: string): Promise<RegistryCredential | undefined> {
    for (const s of this.sources) {
      const c = await s.get(registry);
      if (c) return c;
    }
    return undefined;
  }
}
