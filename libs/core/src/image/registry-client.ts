import { createHash } from 'node:crypto';
import type { CredentialSource, RegistryCredential } from './registry-credentials.js';

/**
 * A minimal Docker Registry HTTP API v2 client (anonymous, or with a registry's credentials): resolve a tag to its manifest digest,
 * fetch manifests and blobs, and check that what came back hashes to the digest asked for.
 * Plain HTTP for loopback registries (as Docker does for 127.0.0.0/8 and localhost), HTTPS otherwise.
 */

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** Every manifest kind we accept, index/list first: a multi-arch tag resolves to its index digest (what `docker pull` pins). */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export class RegistryError extends Error {
  constructor(
    message: string,
    /** HTTP status when the registry answered; undefined for network errors and timeouts. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * The registry refused us: 401/403 after the credentials we have (or with none configured), or its
 * token realm did. Not retryable; the supply-chain gate turns it into a `registry-auth` rejection.
 * The message names the registry and the username, never a secret.
 */
export class RegistryAuthError extends RegistryError {
  constructor(
    message: string,
    status: number,
    readonly registry: string,
  ) {
    super(message, status);
    this.name = 'RegistryAuthError';
  }
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: {
    mediaType?: string;
    layers?: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
    manifests?: { mediaType: string; digest: string; platform?: { os?: string; architecture?: string } }[];
    config?: { mediaType?: string; digest: string };
  };
}

export interface RegistryClientOptions {
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Registries spoken to over plain HTTP (a cluster-local registry); loopback ones always are. */
  plainHttpRegistries?: readonly string[];
  /** Credentials of private registries (REGISTRY_AUTH_FILE, API-managed entries); anonymous without. */
  credentials?: CredentialSource;
  /** Most bearer tokens kept (default MAX_CACHED_TOKENS). */
  maxCachedTokens?: number;
}

/** Most bearer tokens kept (per registry, scope and user); the oldest go first. */
export const MAX_CACHED_TOKENS = 512;

export function sha256Digest(body: Buffer | string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export class RegistryClient {
  private readonly timeoutMs: number;
  private readonly plainHttp: ReadonlySet<string>;
  private readonly credentials?: CredentialSource;
  private readonly maxTokens: number;

  constructor(opts: RegistryClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.plainHttp = new Set(opts.plainHttpRegistries ?? []);
    this.credentials = opts.credentials;
    this.maxTokens = Math.max(1, opts.maxCachedTokens ?? MAX_CACHED_TOKENS);
  }

  baseUrl(registry: string): string {
    return `${isLoopbackRegistry(registry) || this.plainHttp.has(registry) ? 'http' : 'https'}://${registry}/v2`;
  }

  /** Resolves a tag (or checks a digest) to the manifest digest the registry serves for it. */
  async resolve(registry: string, repository: string, reference: string, signal?: AbortSignal): Promise<{ digest: string; mediaType: string }> {
    const url = `${this.baseUrl(registry)}/${repository}/manifests/${encodeURIComponent(reference)}`;
    const head = await this.request(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } }, signal);
    const digest = head.headers.get('docker-content-digest');
    if (head.ok && digest && DIGEST.test(digest)) {
      if (DIGEST.test(reference) && digest !== reference) throw new RegistryError(`registry ${registry} answered digest ${digest} for ${reference}`);
      return { digest, mediaType: head.headers.get('content-type') ?? '' };
    }
    if (head.status === 404) throw new RegistryError(`${registry}/${repository}:${reference} does not exist in the registry`, 404);
    if (!head.ok) throw new RegistryError(`registry ${registry} answered ${head.status} for ${repository}:${reference}`, head.status);
    // No Docker-Content-Digest on HEAD: GET the manifest and hash it ourselves.
    const m = await this.manifest(registry, repository, reference, signal);
    return { digest: m.digest, mediaType: m.mediaType };
  }

  /** GETs a manifest; when `reference` is a digest, the body must hash to it. */
  async manifest(registry: string, repository: string, reference: string, signal?: AbortSignal): Promise<Manifest> {
    const url = `${this.baseUrl(registry)}/${repository}/manifests/${encodeURIComponent(reference)}`;
    const res = await this.request(url, { headers: { accept: MANIFEST_ACCEPT } }, signal);
    if (res.status === 404) throw new RegistryError(`${registry}/${repository}:${reference}: manifest not found`, 404);
    if (!res.ok) throw new RegistryError(`registry ${registry} answered ${res.status} for manifest ${repository}:${reference}`, res.status);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(body);
    if (DIGEST.test(reference) && digest !== reference) throw new RegistryError(`manifest ${repository}@${reference} from ${registry} hashes to ${digest}`);
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) throw new RegistryError(`manifest ${repository}:${reference} from ${registry}: Docker-Content-Digest ${header} does not match its content (${digest})`);
    let json: Manifest['json'];
    try {
      json = JSON.parse(body.toString('utf8')) as Manifest['json'];
    } catch {
      throw new RegistryError(`manifest ${repository}:${reference} from ${registry} is not JSON`);
    }
    return { digest, mediaType: res.headers.get('content-type') ?? json.mediaType ?? '', body, json };
  }

  /** GETs a blob; its content must hash to `digest`. */
  async blob(registry: string, repository: string, digest: string, maxBytes = 1024 * 1024, signal?: AbortSignal): Promise<Buffer> {
    if (!DIGEST.test(digest)) throw new RegistryError(`blob digest "${digest}" is not sha256:<hex>`);
    const res = await this.request(`${this.baseUrl(registry)}/${repository}/blobs/${digest}`, {}, signal);
    if (!res.ok) throw new RegistryError(`registry ${registry} answered ${res.status} for blob ${repository}@${digest}`, res.status);
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > maxBytes) throw new RegistryError(`blob ${digest} is ${len} bytes (limit ${maxBytes})`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > maxBytes) throw new RegistryError(`blob ${digest} is larger than ${maxBytes} bytes`);
    if (sha256Digest(body) !== digest) throw new RegistryError(`blob ${repository}@${digest} from ${registry} does not match its digest`);
    return body;
  }

  // ---- push (attestations: docs/attestations.md). Anonymous, as the rest of this client. ----

  /** Uploads a blob unless the repository has it already (HEAD), as POST + PUT (monolithic in two steps); returns its digest. */
  async pushBlob(registry: string, repository: string, body: Buffer, signal?: AbortSignal): Promise<string> {
    const digest = sha256Digest(body);
    const base = this.baseUrl(registry);
    const head = await this.request(`${base}/${repository}/blobs/${digest}`, { method: 'HEAD' }, signal);
    if (head.ok) return digest;
    const start = await this.request(`${base}/${repository}/blobs/uploads/`, { method: 'POST' }, signal);
    await start.arrayBuffer().catch(() => undefined);
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new RegistryError(`registry ${registry} answered ${start.status} to a blob upload in ${repository}${start.status === 202 ? ' without a Location' : ''}`, start.status);
    const url = new URL(location, `${base}/`);
    if (url.origin !== new URL(base).origin) throw new RegistryError(`registry ${registry} sent the upload to another origin (${url.origin})`);
    url.searchParams.set('digest', digest);
    const put = await this.request(url.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body }, signal);
    await put.arrayBuffer().catch(() => undefined);
    if (put.status !== 201) throw new RegistryError(`registry ${registry} answered ${put.status} to the upload of blob ${digest} in ${repository}`, put.status);
    return digest;
  }

  /** PUTs a manifest under a tag or its digest; returns its digest (checked against the registry's Docker-Content-Digest). */
  async putManifest(registry: string, repository: string, reference: string, mediaType: string, body: Buffer, signal?: AbortSignal): Promise<{ digest: string; subjectAccepted: boolean }> {
    const digest = sha256Digest(body);
    const res = await this.request(`${this.baseUrl(registry)}/${repository}/manifests/${encodeURIComponent(reference)}`, { method: 'PUT', headers: { 'content-type': mediaType }, body }, signal);
    const text = await res.text().catch(() => '');
    if (res.status !== 201) throw new RegistryError(`registry ${registry} answered ${res.status} to manifest ${repository}:${reference}: ${text.slice(0, 300)}`, res.status);
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) throw new RegistryError(`registry ${registry} stored manifest ${repository}:${reference} as ${header}, not ${digest}`);
    // OCI 1.1: a registry that processed the manifest's `subject` says so with OCI-Subject.
    return { digest, subjectAccepted: res.headers.has('oci-subject') };
  }

  /** Whether the registry serves the OCI 1.1 referrers API for this repository (GET /v2/<name>/referrers/<digest> answers an image index). */
  async hasReferrersApi(registry: string, repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    if (!DIGEST.test(digest)) throw new RegistryError(`digest "${digest}" is not sha256:<hex>`);
    const res = await this.request(`${this.baseUrl(registry)}/${repository}/referrers/${digest}`, { headers: { accept: MEDIA_TYPES.ociIndex } }, signal);
    await res.arrayBuffer().catch(() => undefined);
    return res.ok && (res.headers.get('content-type') ?? '').startsWith(MEDIA_TYPES.ociIndex);
  }

  /**
   * One request. A 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` gets a token from
   * the realm (the registry token flow Docker Hub, GHCR and distribution's token auth use):
   * anonymous, or with the registry's credentials (basic auth at the realm, or an identity token
   * exchanged as an OAuth2 refresh token), and the request is retried once with it. Tokens are
   * cached per registry, scope and user until they expire (at most MAX_CACHED_TOKENS). A 401 with
   * `Basic` is retried with the credentials. A final 401/403 throws RegistryAuthError.
   */
  private async request(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const host = new URL(url).host;
    const cred = await this.credentials?.get(host);
    const cacheKey = `${host}|${scopeOf(url) ?? ''}|${cred?.username ?? (cred ? 'token' : '')}`;
    const cached = this.tokenFor(cacheKey);
    const first = await this.send(url, withAuth(init, cached ? `Bearer ${cached}` : this.basicHosts.has(host) ? cred?.basicAuthorization() : undefined), signal);
    if (first.status !== 401 && first.status !== 403) return first;
    await first.arrayBuffer().catch(() => undefined);
    const header = first.headers.get('www-authenticate');
    const challenge = parseBearerChallenge(header);
    let second: Response;
    if (first.status === 401 && challenge) {
      const token = await this.fetchToken(host, challenge, cred, cacheKey, signal);
      second = await this.send(url, withAuth(init, `Bearer ${token}`), signal);
    } else if (first.status === 401 && /^basic\b/i.test(header ?? '') && cred?.basicAuthorization()) {
      second = await this.send(url, withAuth(init, cred.basicAuthorization()), signal);
      if (second.ok) this.rememberBasic(host);
    } else {
      throw authError(host, first.status, cred);
    }
    if (second.status === 401 || second.status === 403) {
      await second.arrayBuffer().catch(() => undefined);
      this.basicHosts.delete(host);
      this.tokens.delete(cacheKey);
      throw authError(host, second.status, cred);
    }
    return second;
  }

  private readonly tokens = new Map<string, { token: string; until: number }>();
  /** Registries that answered a Basic challenge (the credentials go with the first request next time). */
  private readonly basicHosts = new Set<string>();

  private rememberBasic(host: string): void {
    if (this.basicHosts.size >= 256) this.basicHosts.clear();
    this.basicHosts.add(host);
  }

  private tokenFor(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (t && t.until <= Date.now()) this.tokens.delete(key);
    return t && t.until > Date.now() ? t.token : undefined;
  }

  private cacheToken(key: string, token: string, until: number): void {
    this.tokens.delete(key);
    if (this.tokens.size >= this.maxTokens) {
      const now = Date.now();
      for (const [k, v] of this.tokens) if (v.until <= now) this.tokens.delete(k);
      while (this.tokens.size >= this.maxTokens) this.tokens.delete(this.tokens.keys().next().value!);
    }
    this.tokens.set(key, { token, until });
  }

  /** Number of cached tokens (tests: the cache stays bounded). */
  get cachedTokens(): number {
    return this.tokens.size;
  }

  private async fetchToken(host: string, c: BearerChallenge, cred: RegistryCredential | undefined, cacheKey: string, signal?: AbortSignal): Promise<string> {
    const realm = new URL(c.realm);
    if (realm.protocol !== 'https:' && !isLoopbackRegistry(realm.host)) throw new RegistryError(`registry ${host}: token realm ${c.realm} is not HTTPS`);
    let res: Response;
    if (cred?.identityToken) {
      // docker's identity token: an OAuth2 refresh token, exchanged with a form POST at the realm.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'quarantine' });
      if (c.service) form.set('service', c.service);
      if (c.scope) form.set('scope', c.scope);
      res = await this.send(realm.toString(), { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }, signal);
    } else {
      if (c.service) realm.searchParams.set('service', c.service);
      if (c.scope) realm.searchParams.set('scope', c.scope);
      if (cred?.username) realm.searchParams.set('account', cred.username);
      const basic = cred?.basicAuthorization();
      res = await this.send(realm.toString(), { headers: { accept: 'application/json', ...(basic ? { authorization: basic } : {}) } }, signal);
    }
    if (res.status === 401 || res.status === 403) {
      await res.arrayBuffer().catch(() => undefined);
      throw authError(host, res.status, cred, 'its token realm');
    }
    if (!res.ok) throw new RegistryError(`registry ${host}: token endpoint answered ${res.status}`, res.status === 404 ? 502 : res.status);
    const text = await res.text().catch(() => '');
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown } = {};
    try {
      if (text.length <= 64 * 1024) body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token || token.length > 16 * 1024 || /[\s\x00-\x1f]/.test(token)) throw new RegistryError(`registry ${host}: token endpoint returned no usable token`);
    const expires = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) ? body.expires_in : 60;
    const ttl = Math.max(10, Math.min(expires, 3600)) * 1000;
    this.cacheToken(cacheKey, token, Date.now() + ttl - 5000);
    return token;
  }

  private async send(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : err.cause?.code ?? err.message;
      throw new RegistryError(`registry request ${init.method ?? 'GET'} ${url} failed: ${why}`);
    }
  }
}

interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`. */
export function parseBearerChallenge(header: string | null): BearerChallenge | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return params.realm ? { realm: params.realm, service: params.service, scope: params.scope } : undefined;
}

/** The pull scope a /v2/<repo>/(manifests|blobs)/… URL needs, for the token cache key. */
function scopeOf(url: string): string | undefined {
  const m = /\/v2\/(.+)\/(?:manifests|blobs)\//.exec(new URL(url).pathname);
  return m ? `repository:${m[1]}:pull` : undefined;
}

function withAuth(init: RequestInit, authorization: string | undefined): RequestInit {
  if (!authorization) return init;
  return { ...init, headers: { ...(init.headers as Record<string, string>), authorization } };
}

function authError(host: string, status: number, cred: RegistryCredential | undefined, who = 'it'): RegistryAuthError {
  const what = !cred
    ? `registry ${host} requires authentication (${status} from ${who}) and no credentials are configured for it`
    : `registry ${host} refused the configured credentials${cred.username ? ` of user "${cred.username}"` : ' (identity token)'} (${status} from ${who})`;
  return new RegistryAuthError(what, status, host);
}
