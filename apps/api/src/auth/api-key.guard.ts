import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { ApiKeyRepository, type Principal, type Role } from '#core/storage/api-key.repository';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators.js';
import { AuthThrottle } from './auth-throttle.js';
import { CSRF_FIELD, csrfValid, sessionKey } from '../console/console-session.js';

export interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  /** The client address as Express reads it under TRUST_PROXY. */
  ip?: string;
  method?: string;
  path?: string;
  body?: unknown;
  /** Set when the web console's session cookie authenticated the request (its CSRF token derives from it). */
  consoleKey?: string;
  socket?: { remoteAddress?: string };
}

/** `Bearer <key>` with a key of visible ASCII only (API keys are base64url; the admin key is configured text). */
const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/i;

/** Every /v1 route needs `Authorization: Bearer <key>`; roles come from @Roles (default: analyst or admin). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRepository,
    private readonly throttle: AuthThrottle,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const address = req.ip ?? req.socket?.remoteAddress ?? '';
    await this.throttle.check(address);
    const header = req.headers.authorization;
    // The web console (/ui) authenticates with its session cookie; a state change also needs the form's CSRF token.
    const cookieKey = header === undefined && req.path?.startsWith('/ui') ? sessionKey(req.headers.cookie) : undefined;
    if (cookieKey !== undefined) {
      const principal = await this.keys.authenticate(cookieKey);
      if (!principal) {
        await this.throttle.failed(address);
        throw new DomainException(ErrorCode.Unauthorized, 401, 'the console session is not valid any more: sign in again', [{ field: 'cookie', message: 'unknown key' }]);
      }
      const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? 'GET');
      const token = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] ?? req.headers['x-csrf-token'];
      if (unsafe && !csrfValid(cookieKey, token)) throw new DomainException(ErrorCode.Forbidden, 403, 'missing or wrong CSRF token: reload the page and try again', [{ field: CSRF_FIELD, message: 'invalid' }]);
      req.principal = principal;
      req.consoleKey = cookieKey;
      return true;
    }
    const m = typeof header === 'string' && header.length <= 600 ? BEARER.exec(header) : null;
    if (!m) {
      await this.throttle.failed(address);
      throw new DomainException(ErrorCode.Unauthorized, 401, 'missing or malformed Authorization header (expected "Bearer <api key>")', [{ field: 'authorization', message: 'required' }]);
    }
    const principal = await this.keys.authenticate(m[1]);
    if (!principal) {
      await this.throttle.failed(address);
      throw new DomainException(ErrorCode.Unauthorized, 401, 'unknown API key', [{ field: 'authorization', message: 'unknown key' }]);
    }
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['analyst', 'admin'];
    if (!roles.includes(principal.role)) {
      throw new DomainException(ErrorCode.Forbidden, 403, `this action needs role ${roles.join(' or ')}; key "${principal.name}" has role ${principal.role}`);
    }
    return true;
  }
}
