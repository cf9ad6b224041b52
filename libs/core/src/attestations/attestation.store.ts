import type { Redis } from 'ioredis';
import type { ArtifactStore } from '../storage/artifact.store.js';
import { Keys } from '../storage/redis-keys.js';
import { type DsseEnvelope, MAX_ENVELOPE_BYTES } from './dsse.js';

/**
 * Where signed attestations are kept: every one with its analysis (artifact `attestation.json`,
 * deleted with the analysis), and the one of a digest's admission verdict also in Redis
 * (`q:attestation:<digest>`, expiring with the attestation) for the admission webhook.
 */
export class AttestationStore {
  constructor(
    private readonly redis: Redis,
    private readonly artifacts: ArtifactStore,
  ) {}

  async save(analysisId: string, envelope: DsseEnvelope): Promise<void> {
    await this.artifacts.writeJson(analysisId, 'attestation.json', envelope);
  }

  async forAnalysis(analysisId: string): Promise<DsseEnvelope | null> {
    return this.artifacts.readJson<DsseEnvelope>(analysisId, 'attestation.json');
  }

  /** Makes `envelope` the digest's admission attestation until `expiresAt`. */
  async setForDigest(digest: string, envelope: DsseEnvelope, expiresAt: string): Promise<void> {
    const ttl = Date.parse(expiresAt) - Date.now();
    const text = JSON.stringify(envelope);
    if (text.length > MAX_ENVELOPE_BYTES) throw new Error(`attestation is ${text.length} bytes (limit ${MAX_ENVELOPE_BYTES})`);
    if (ttl <= 0) await this.redis.del(Keys.attestation(digest));
    else await this.redis.set(Keys.attestation(digest), text, 'PX', ttl);
  }

  /** The digest's admission attestation as stored (untrusted until verified), or null. */
  async forDigest(digest: string, redis: Redis = this.redis): Promise<unknown> {
    const text = await redis.get(Keys.attestation(digest));
    if (!text || text.length > MAX_ENVELOPE_BYTES) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }
}
