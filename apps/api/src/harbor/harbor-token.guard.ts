import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthThrottle } from '../auth/auth-throttle.js';
import { HarborError } from './harbor-error.js';
import type { HarborAdapterConfig } from './harbor.config.js';

export const HARBOR_CONFIG = Symbol('HARBOR_CONFIG');

const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/i;
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The adapter's own authentication (not API keys): `Authorization: Bearer <HARBOR_ADAPTER_TOKEN>`,
 * compared as fixed-length digests, failures counted by the API's failed-auth throttle. Without a
 * configured token the adapter does not exist (404).
 */
@Injectable()
export class HarborTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(
    @Inject(HARBOR_CONFIG) config: HarborAdapterConfig,
    private readonly throttle: AuthThrottle,
  ) {
    this.expected = config.token ? digest(config.token) : undefined;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (!this.expected) throw new HarborError(404, 'the Harbor scanner adapter is not enabled on this Quarantine (HARBOR_ADAPTER_TOKEN is not set)');
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; ip?: string; socket?: { remoteAddress?: string } }>();
    const address = req.ip ?? req.socket?.remoteAddress ?? '';
    await this.throttle.check(address);
    const header = req.headers.authorization;
    const m = typeof header === 'string' && header.length <= 600 ? BEARER.exec(header) : null;
    if (!m || !timingSafeEqual(digest(m[1]), this.expected)) {
      await this.throttle.failed(address);
      throw new HarborError(401, m ? 'wrong scanner adapter token' : 'missing or malformed Authorization header (expected "Bearer <token>" as configured on the scanner registration)');
    }
    return true;
  }
}
