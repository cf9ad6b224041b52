import type { Redis } from 'ioredis';
import type { VerdictCacheEntry } from '../storage/analysis.types.js';
import { Keys } from '../storage/redis-keys.js';
import { type AttestationPublicKey } from './attestation-config.js';
import { MAX_ENVELOPE_BYTES } from './dsse.js';
import { verifyAttestation } from './verify-attestation.js';

/**
 * For admission with ADMISSION_REQUIRE_ATTESTATION: is there a valid, unexpired attestation of this
 * digest's clean admission verdict? The envelope is read from Redis (`q:attestation:<digest>`, written
 * by the worker) and its signature verified against the accepted public keys, not taken on trust; a
 * verified envelope is remembered per (digest, analysis, verdict time) so a review costs one Redis
 * GET, its expiry is re-checked on every use.
 */
export class AttestationChecker {
  private readonly verified = new Map<string, { text: string; expiresAt: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: () => readonly AttestationPublicKey[],
    private readonly maxEntries = 10_000,
  ) {}

  /** null when the attestation is valid; otherwise why not (for the denial message). */
  async check(digest: string, entry: Pick<VerdictCacheEntry, 'analysisId' | 'verdict' | 'at'>, now = Date.now()): Promise<string | null> {
    const text = await this.redis.get(Keys.attestation(digest));
    if (!text) return 'no attestation is stored for this digest (attestations off when it was analysed, or signing failed)';
    if (text.length > MAX_ENVELOPE_BYTES) return 'the stored attestation is too large';
    const cacheKey = `${digest}|${entry.analysisId}|${entry.at}`;
    const hit = this.verified.get(cacheKey);
    if (hit && hit.text === text) return hit.expiresAt > now ? null : `its attestation expired at ${new Date(hit.expiresAt).toISOString()}`;
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return 'the stored attestation is not JSON';
    }
    const r = verifyAttestation(envelope, { keys: this.keys(), digest, now });
    if (!r.ok) return `its attestation is not valid: ${r.reason}`;
    const p = r.statement.predicate;
    if (p?.analysis?.id !== entry.analysisId) return `its attestation is of analysis ${String(p?.analysis?.id)}, not of ${entry.analysisId} (the analysis that holds the verdict)`;
    if (p.verdict !== entry.verdict) return `its attestation says ${String(p.verdict)}, the verdict is ${entry.verdict}`;
    if (p.verdict !== 'clean') return `its attestation says ${String(p.verdict)}`;
    if (this.verified.size >= this.maxEntries) this.verified.clear();
    this.verified.set(cacheKey, { text, expiresAt: Date.parse(p.expiresAt) });
    return null;
  }
}
