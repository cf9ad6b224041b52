import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { AuthFileError, type RegistryCredential, StaticCredentials, loadAuthFile } from '../image/registry-credentials.js';
import { MAX_GLOB_CHARS } from '../text/glob.js';

/**
 * Private registries and registry push triggers (docs/registries.md). Validated at boot like the
 * rest: a bad value stops the process naming the variable; no secret is ever part of the message.
 */
export interface RegistryConfig {
  /** REGISTRY_AUTH_FILE: a Docker config.json-style file of registry credentials (read once at boot). */
  authFile: string | null;
  /** The file's credentials (toJSON/inspect show no secret). */
  fileCredentials: StaticCredentials;
  events: RegistryEventsConfig;
}

export interface RegistryEventsConfig {
  /** REGISTRY_EVENTS_TOKEN's SHA-256 (compared as fixed-length digests); null when unset. */
  tokenDigest: Buffer | null;
  /** REGISTRY_EVENTS_HMAC_SECRET: key of the `X-Quarantine-Signature: sha256=<hex>` HMAC over the body; null when unset. */
  hmacSecret: HiddenSecret | null;
  /** REGISTRY_EVENTS_PROFILE: the profile pushed images are analysed with (default `default`). */
  profile: string;
  /** REGISTRY_EVENTS_REPOSITORIES: comma-separated globs over `registry/repository` (glob.ts); default `**`. */
  repositories: string[];
  /** REGISTRY_EVENTS_MAX_EVENTS: most events one request may carry (default 100). */
  maxEvents: number;
  /** REGISTRY_EVENTS_DEDUPE_DAYS: how long a pushed digest is remembered as analysed (default 365). */
  dedupeDays: number;
}

/** A configured secret whose every printed form hides it. */
export class HiddenSecret {
  constructor(readonly value: string) {}
  toJSON(): string {
    return '[secret]';
  }
  toString(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}

type Env = Record<string, string | undefined>;
type Int = (env: Env, name: string, def: number, min: number, max: number) => number;

export function loadRegistryConfig(env: Env, int: Int, error: (variable: string, message: string) => Error, root = process.cwd()): RegistryConfig {
  const authFile = env.REGISTRY_AUTH_FILE?.trim() ? resolve(root, env.REGISTRY_AUTH_FILE.trim()) : null;
  let entries = new Map<string, RegistryCredential>();
  if (authFile) {
    try {
      entries = loadAuthFile(authFile);
    } catch (e) {
      if (e instanceof AuthFileError) throw error('REGISTRY_AUTH_FILE', `${authFile} ${e.message}`);
      throw e;
    }
  }
  const token = env.REGISTRY_EVENTS_TOKEN ?? '';
  if (token && token.trim().length < 16) throw error('REGISTRY_EVENTS_TOKEN', 'must be at least 16 characters');
  const hmac = env.REGISTRY_EVENTS_HMAC_SECRET ?? '';
  if (hmac && hmac.trim().length < 16) throw error('REGISTRY_EVENTS_HMAC_SECRET', 'must be at least 16 characters');
  const profile = env.REGISTRY_EVENTS_PROFILE?.trim() || 'default';
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(profile)) throw error('REGISTRY_EVENTS_PROFILE', `is not a profile name: "${profile.slice(0, 80)}"`);
  const repositories = (env.REGISTRY_EVENTS_REPOSITORIES ?? '**').split(',').map((s) => s.trim()).filter(Boolean);
  if (repositories.length === 0) throw error('REGISTRY_EVENTS_REPOSITORIES', 'must list at least one glob');
  if (repositories.length > 100) throw error('REGISTRY_EVENTS_REPOSITORIES', 'lists more than 100 globs');
  const long = repositories.find((g) => g.length > MAX_GLOB_CHARS);
  if (long) throw error('REGISTRY_EVENTS_REPOSITORIES', `has a glob longer than ${MAX_GLOB_CHARS} characters`);
  return {
    authFile,
    fileCredentials: new StaticCredentials(entries),
    events: {
      tokenDigest: token.trim() ? createHash('sha256').update(token.trim()).digest() : null,
      hmacSecret: hmac.trim() ? new HiddenSecret(hmac.trim()) : null,
      profile,
      repositories,
      maxEvents: int(env, 'REGISTRY_EVENTS_MAX_EVENTS', 100, 1, 1000),
      dedupeDays: int(env, 'REGISTRY_EVENTS_DEDUPE_DAYS', 365, 1, 3650),
    },
  };
}
