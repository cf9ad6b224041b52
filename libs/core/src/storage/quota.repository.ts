import type { Redis } from 'ioredis';
import { DomainException, ErrorCode } from '../errors/domain.exception.js';
import { TERMINAL_STATUSES } from './analysis.types.js';
import { Keys } from './redis-keys.js';

/**
 * Reserves a slot for analysis ARGV[2] in owner set KEYS[1] (zset id → reservation time, ms) if
 * fewer than ARGV[4] of its members are still active. A member is released once its analysis
 * record (hash ARGV[1]..id) has a terminal status, or has no record ARGV[5] ms after it was
 * reserved (a submission that died between reservation and record creation). One script, so
 * concurrent submissions of one key cannot both take the last slot. The set never holds more than
 * the limit, so the script is O(limit). (Reads analysis hashes not named in KEYS: single-node
 * Redis, as everywhere in Quarantine.)
 */
const RESERVE_SCRIPT = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local now = tonumber(ARGV[3])
local live = 0
local terminal = {}
for s in string.gmatch(ARGV[6], '[^,]+') do terminal['"' .. s .. '"'] = true end
for i = 1, #members, 2 do
  local id = members[i]
  local status = redis.call('HGET', ARGV[1] .. id, 'status')
  if status == false then
    if now - tonumber(members[i + 1]) > tonumber(ARGV[5]) then redis.call('ZREM', KEYS[1], id) else live = live + 1 end
  elseif terminal[status] then
    redis.call('ZREM', KEYS[1], id)
  else
    live = live + 1
  end
end
if live >= tonumber(ARGV[4]) then return {0, live} end
redis.call('ZADD', KEYS[1], now, ARGV[2])
return {1, live + 1}`;

export interface Reservation {
  ok: boolean;
  /** Active analyses of the owner, counting this one when it was reserved. */
  active: number;
  limit: number;
}

/** Per-owner quota of active (queued + running) analyses, counted atomically in Redis. */
export class QuotaRepository {
  constructor(
    private readonly redis: Redis,
    /** How long a reservation without an analysis record still counts. */
    private readonly reservationGraceMs = 60_000,
  ) {}

  /** Takes a slot for `analysisId` unless `owner` already has `limit` active analyses; limit 0 = unlimited (nothing counted). */
  async reserve(owner: string, analysisId: string, limit: number): Promise<Reservation> {
    if (limit <= 0) return { ok: true, active: 0, limit };
    const [ok, active] = (await this.redis.eval(
      RESERVE_SCRIPT,
      1,
      Keys.activeAnalyses(owner),
      Keys.analysis(''),
      analysisId,
      String(Date.now()),
      String(limit),
      String(this.reservationGraceMs),
      TERMINAL_STATUSES.join(','),
    )) as [number, number];
    return { ok: ok === 1, active, limit };
  }

  /** Gives a slot back at once (the submission failed before its analysis was queued). */
  async release(owner: string, analysisId: string): Promise<void> {
    await this.redis.zrem(Keys.activeAnalyses(owner), analysisId);
  }
}

/** What Retry-After says on a 429: about one short analysis; slots free up as analyses finish. */
export const QUOTA_RETRY_AFTER_SECONDS = 30;

export function quotaExceeded(r: Reservation): DomainException {
  return new DomainException(
    ErrorCode.QuotaExceeded,
    429,
    `this key already has ${r.active} queued or running analyses (quota ${r.limit}); wait for some to finish or cancel some`,
    [{ field: 'quota', message: `at most ${r.limit} active analyses per key` }],
  );
}
