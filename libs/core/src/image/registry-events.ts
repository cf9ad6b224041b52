import { MEDIA_TYPES } from './registry-client.js';
import { normalizeRegistryHost } from './registry-credentials.js';

/**
 * Registry push notifications (docs/registries.md), parsed into what Quarantine may analyse. Plain
 * TypeScript, no I/O. Two formats:
 *
 * - Docker Distribution notifications (`application/vnd.docker.distribution.events.v1+json`):
 *   `{events: [{id, timestamp, action, target: {mediaType, digest, size, repository, url, tag},
 *   request: {host, ...}, actor, source}]}`.
 * - Harbor webhooks (JSON payload format): `{type: 'PUSH_ARTIFACT', occur_at, operator,
 *   event_data: {resources: [{digest, tag, resource_url}], repository: {name, namespace,
 *   repo_full_name, repo_type}}}`.
 *
 * Only pushes of image manifests are candidates; pulls, deletes, blobs, manifests pushed by digest
 * only (children of an index, attachments), cosign's `sha256-<hex>.sig|.att|.sbom` tags and
 * signature / attestation media types are ignored with a reason. A malformed event is an error
 * naming its field (the request is refused whole: nothing is queued from a half-understood body).
 */

export type EventSource = 'distribution' | 'harbor';

export interface PushCandidate {
  index: number;
  kind: 'push';
  registry: string;
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
}

export interface IgnoredEvent {
  index: number;
  kind: 'ignored';
  reason: string;
  repository?: string;
  digest?: string;
  tag?: string;
}

export type ParsedEvent = PushCandidate | IgnoredEvent;

export class RegistryEventError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'RegistryEventError';
  }
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:[._-]+[a-z0-9]+)*$/;
/** cosign's attachments: `sha256-<hex>.sig`, `.att`, `.sbom` (and the bare `sha256-<hex>` referrers fallback tag). */
const ATTACHMENT_TAG = /^sha256-[a-f0-9]{64}(?:\.[a-z]{1,16})?$/;

const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA_TYPES));
/** Media types of signatures and attestations (never analysed as images). */
const ATTACHMENT_TYPES = /cosign|in-toto|dsse|sigstore|\.sig\b|signature|attestation/i;

export function isRepositoryName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= 255 && s.split('/').every((c) => COMPONENT.test(c));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Which format a body is, or an error naming what is missing. */
export function detectFormat(body: unknown): EventSource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RegistryEventError('body', 'must be a JSON object (a Distribution notification envelope or a Harbor webhook)');
  const b = body as Record<string, unknown>;
  if ('events' in b) return 'distribution';
  if ('type' in b && 'event_data' in b) return 'harbor';
  throw new RegistryEventError('body', 'is neither a Distribution envelope ({events: [...]}) nor a Harbor webhook ({type, event_data})');
}

export function parseRegistryEvents(body: unknown, maxEvents: number): { source: EventSource; events: ParsedEvent[] } {
  const source = detectFormat(body);
  return { source, events: source === 'distribution' ? parseDistribution(body as Record<string, unknown>, maxEvents) : parseHarbor(body as Record<string, unknown>, maxEvents) };
}

function parseDistribution(body: Record<string, unknown>, maxEvents: number): ParsedEvent[] {
  const events = body.events;
  if (!Array.isArray(events)) throw new RegistryEventError('events', 'must be an array');
  if (events.length > maxEvents) throw new RegistryEventError('events', `carries ${events.length} events (at most ${maxEvents} per request)`);
  return events.map((e, index): ParsedEvent => {
    const at = `events[${index}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new RegistryEventError(at, 'must be an object');
    const ev = e as Record<string, unknown>;
    const action = str(ev.action);
    if (!action) throw new RegistryEventError(`${at}.action`, 'must be a string');
    const target = ev.target as Record<string, unknown> | undefined;
    if (typeof target !== 'object' || target === null || Array.isArray(target)) throw new RegistryEventError(`${at}.target`, 'must be an object');
    if (action !== 'push') return { index, kind: 'ignored', reason: `action "${action.slice(0, 32)}" is not a push` };
    const mediaType = str(target.mediaType) ?? '';
    const repository = target.repository;
    if (!isRepositoryName(repository)) throw new RegistryEventError(`${at}.target.repository`, 'must be a repository name (lower-case path components)');
    const digest = target.digest;
    if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new RegistryEventError(`${at}.target.digest`, 'must be sha256:<64 hex>');
    const tag = target.tag;
    if (tag !== undefined && tag !== '' && (typeof tag !== 'string' || !TAG.test(tag))) throw new RegistryEventError(`${at}.target.tag`, 'must be a tag name');
    const registry = registryOf(ev, target, at);
    const common = { index, repository, digest, ...(typeof tag === 'string' && tag ? { tag } : {}) };
    const skip = ignoredManifest(mediaType, common.tag);
    if (skip) return { ...common, kind: 'ignored', reason: skip };
    return { ...common, kind: 'push', registry, mediaType };
  });
}

/** The registry as the pusher addressed it: `request.host`, else the host of `target.url`. */
function registryOf(ev: Record<string, unknown>, target: Record<string, unknown>, at: string): string {
  const req = ev.request as Record<string, unknown> | undefined;
  const fromRequest = typeof req === 'object' && req !== null ? str(req.host) : undefined;
  let raw = fromRequest;
  if (!raw) {
    const url = str(target.url);
    try {
      raw = url ? new URL(url).host : undefined;
    } catch {
      raw = undefined;
    }
  }
  const host = raw ? normalizeRegistryHost(raw) : null;
  if (!host || /^[a-z]+:\/\//i.test(raw ?? '')) throw new RegistryEventError(`${at}.request.host`, 'must name the registry host[:port] (or target.url must)');
  return host;
}

function ignoredManifest(mediaType: string, tag: string | undefined): string | null {
  if (tag && ATTACHMENT_TAG.test(tag)) return `tag ${tag} is a signature/attestation attachment`;
  if (ATTACHMENT_TYPES.test(mediaType)) return `media type ${mediaType.slice(0, 100)} is a signature/attestation`;
  if (!IMAGE_MANIFEST_TYPES.has(mediaType)) return mediaType ? `media type ${mediaType.slice(0, 100)} is not an image manifest (a blob or layer)` : 'no media type: not an image manifest';
  if (!tag) return 'manifest pushed by digest only (an index child or an attachment): the tagged push is analysed';
  return null;
}

function parseHarbor(body: Record<string, unknown>, maxEvents: number): ParsedEvent[] {
  const type = str(body.type);
  if (!type) throw new RegistryEventError('type', 'must be a string');
  const data = body.event_data as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new RegistryEventError('event_data', 'must be an object');
  const resources = data.resources;
  if (!Array.isArray(resources)) throw new RegistryEventError('event_data.resources', 'must be an array');
  if (resources.length > maxEvents) throw new RegistryEventError('event_data.resources', `carries ${resources.length} artifacts (at most ${maxEvents} per request)`);
  if (type !== 'PUSH_ARTIFACT') return resources.map((_, index) => ({ index, kind: 'ignored', reason: `event type ${type.slice(0, 40)} is not PUSH_ARTIFACT` }));
  const repo = data.repository as Record<string, unknown> | undefined;
  if (typeof repo !== 'object' || repo === null || Array.isArray(repo)) throw new RegistryEventError('event_data.repository', 'must be an object');
  const full = str(repo.repo_full_name) ?? (str(repo.namespace) && str(repo.name) ? `${str(repo.namespace)}/${str(repo.name)}` : undefined);
  if (!isRepositoryName(full)) throw new RegistryEventError('event_data.repository.repo_full_name', 'must be a repository name (namespace/name)');
  return resources.map((r, index): ParsedEvent => {
    const at = `event_data.resources[${index}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new RegistryEventError(at, 'must be an object');
    const res = r as Record<string, unknown>;
    const digest = res.digest;
    if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new RegistryEventError(`${at}.digest`, 'must be sha256:<64 hex>');
    const tag = res.tag;
    if (tag !== undefined && tag !== '' && (typeof tag !== 'string' || !TAG.test(tag))) throw new RegistryEventError(`${at}.tag`, 'must be a tag name');
    const url = str(res.resource_url);
    const slash = url ? url.indexOf('/') : -1;
    const host = url && slash > 0 ? normalizeRegistryHost(url.slice(0, slash)) : null;
    if (!url || url.length > 1024 || !host || /^[a-z]+:\/\//i.test(url)) throw new RegistryEventError(`${at}.resource_url`, 'must be host[:port]/<repository>:<tag> or @<digest>');
    const common = { index, repository: full, digest, ...(typeof tag === 'string' && tag ? { tag } : {}) };
    if (common.tag && ATTACHMENT_TAG.test(common.tag)) return { ...common, kind: 'ignored', reason: `tag ${common.tag} is a signature/attestation attachment` };
    return { ...common, kind: 'push', registry: host };
  });
}
