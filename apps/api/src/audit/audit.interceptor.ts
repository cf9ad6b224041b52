import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { type Observable, tap } from 'rxjs';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { type AuditEntry, AuditRepository } from '#core/storage/audit.repository';
import { toBody } from '../common/http-exception.filter.js';
import { POLICY, POLICY_KEY, type PolicyAction, resourceOf } from '../auth/policy.js';
import { type PolicyRequest, actorOf, requestIdOf } from './audit.context.js';

/**
 * Audits the routes whose POLICY row says `audited`. Fail-closed: the `attempt` entry is written
 * before the handler runs, and if the log cannot take it the request is refused with 503 and
 * nothing is changed. The outcome (`ok` with the status, or `failed` with the error status) is
 * written after; if that write fails the action has already happened, so it is logged (JSON logs
 * carry the full entry) instead of failing the response.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditRepository,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const action = this.reflector.get<PolicyAction | undefined>(POLICY_KEY, ctx.getHandler());
    const rule = action ? (POLICY[action] as { audited?: boolean }) : undefined;
    if (!action || !rule?.audited || ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<PolicyRequest>();
    const base: Omit<AuditEntry, 'result' | 'at'> = {
      actor: actorOf(req),
      action,
      resource: { type: resourceOf(action), id: req.params?.id ?? req.params?.host ?? null },
      requestId: requestIdOf(req),
    };
    try {
      await this.audit.append({ ...base, at: new Date().toISOString(), result: 'attempt' });
    } catch (e) {
      this.logger.error({ msg: 'audit log unavailable: action refused', action, error: (e as Error).message, entry: base });
      throw new DomainException(ErrorCode.Unavailable, 503, `the audit log is unavailable, so ${action} was not performed; try again`);
    }
    const okStatus = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? (this.reflector.get<RequestMethod>(METHOD_METADATA, ctx.getHandler()) === RequestMethod.POST ? 201 : 200);
    const outcome = (result: 'ok' | 'failed', status: number, createdId?: string) => {
      const entry: AuditEntry = { ...base, resource: { ...base.resource, id: base.resource.id ?? createdId ?? null }, at: new Date().toISOString(), result, status };
      this.audit.append(entry).catch((e: Error) => this.logger.error({ msg: 'audit write failed after the action', error: e.message, entry }));
    };
    return next.handle().pipe(
      tap({
        next: (body) => outcome('ok', okStatus, typeof (body as { id?: unknown })?.id === 'string' ? (body as { id: string }).id : undefined),
        error: (e: unknown) => outcome('failed', toBody(e)[0]),
      }),
    );
  }
}
