import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#core/config/config';
import { ErrorCode } from '#core/errors/domain.exception';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { RetryAfterException } from '../common/retry-after.exception.js';

/**
 * Failed authentications per client address (AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_SECONDS),
 * counted in Redis by rate-limiter-flexible so every API replica shares the count (an in-memory
 * counter stands in while Redis is unreachable). An address over the limit gets 429 with
 * Retry-After on every authenticated route — also with a valid key, so a guess that happens to be
 * right is not told apart from a wrong one while blocked. Successful requests consume nothing.
 * IPv6 clients are counted per /64 (one host usually holds a whole /64).
 */
@Injectable()
export class AuthThrottle {
  private readonly logger = new Logger(AuthThrottle.name);
  private readonly limiter: RateLimiterRedis;
  private readonly limit: number;

  constructor(@Inject(REDIS) redis: Redis, @Inject(CONFIG) config: AppConfig) {
    const { authFailureLimit: points, authFailureWindowSeconds: duration } = config.apiLimits;
    this.limit = points;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'q:authfail',
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'q:authfail', points, duration }),
    });
  }

  /** Throws 429 when the address is over its failure budget. */
  async check(address: string): Promise<void> {
    const res = await this.limiter.get(clientKey(address)).catch(() => null);
    if (res && res.consumedPoints > this.limit) throw this.tooMany(res);
  }

  /** Counts one failed authentication; throws 429 when that one passed the limit. */
  async failed(address: string): Promise<void> {
    try {
      await this.limiter.consume(clientKey(address));
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        this.logger.warn({ msg: 'failed authentications over the limit', client: clientKey(address), limit: this.limit });
        throw this.tooMany(e);
      }
      this.logger.warn({ msg: 'could not count a failed authentication', error: (e as Error).message });
    }
  }

  private tooMany(res: RateLimiterRes): RetryAfterException {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new RetryAfterException(ErrorCode.RateLimited, 429, `too many failed authentications from this address; retry in ${seconds} s`, seconds, [{ field: 'authorization', message: 'too many failures' }]);
  }
}

/** The counting key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}
