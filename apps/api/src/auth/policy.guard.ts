import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { AuditRepository } from '#core/storage/audit.repository';
import { WatchRepository } from '#core/storage/watch.repository';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { type PolicyRequest, actorOf, requestIdOf } from '../audit/audit.context.js';
import { PUBLIC_KEY } from './auth.decorators.js';
import { POLICY, POLICY_KEY, type PolicyAction, type PolicyRule, resourceOf } from './policy.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one place authorization is decided (runs after ApiKeyGuard has authenticated the key):
 * the route's declared action → its POLICY row → role, then ownership of `:id`. Refusals are
 * 403 with the stable error body, and are audited for audited actions.
 */
@Injectable()
export class PolicyGuard implements CanActivate {
  private readonly logger = new Logger(PolicyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly analyses: AnalysisRepository,
    private readonly watches: WatchRepository,
    private readonly webhooks: WebhookRepository,
    private readonly audit: AuditRepository,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const action = this.reflector.get<PolicyAction | undefined>(POLICY_KEY, ctx.getHandler());
    const rule: PolicyRule | undefined = action ? POLICY[action] : undefined;
    if (!action || !rule) {
      // Fail closed: a route nobody declared a policy for is refused (and fails the matrix test).
      this.logger.error({ msg: 'route has no authorization policy', handler: `${ctx.getClass().name}.${ctx.getHandler().name}` });
      throw new DomainException(ErrorCode.Forbidden, 403, 'this route declares no authorization policy');
    }
    const req = ctx.switchToHttp().getRequest<PolicyRequest>();
    const principal = req.principal;
    if (!principal) throw new DomainException(ErrorCode.Unauthorized, 401, 'missing API key', [{ field: 'authorization', message: 'required' }]);
    if (!rule.roles.includes(principal.role)) {
      await this.deny(req, action, rule, `needs role ${rule.roles.join(' or ')}`);
      throw new DomainException(ErrorCode.Forbidden, 403, `${action} needs role ${rule.roles.join(' or ')}; key "${principal.name}" has role ${principal.role}`);
    }
    if (rule.owned && principal.role !== 'admin') {
      const id = req.params?.id;
      // A malformed id or a missing resource goes on to the handler, which answers 400 / 404.
      // (Analysts read every analysis and watch, so a 403 here reveals nothing a GET would not.)
      if (typeof id !== 'string' || !UUID.test(id)) return true;
      const found = await this.ownerOf(resourceOf(action), id);
      if (!found) return true;
      if (found.owner !== principal.keyId) {
        const why = found.owner ? 'owned by another key' : 'has no owner (created before ownership; admins only)';
        await this.deny(req, action, rule, why);
        throw new DomainException(ErrorCode.Forbidden, 403, `${resourceOf(action)} ${id} ${why}: an analyst may ${action.slice(action.indexOf('.') + 1)} only what their key created`, [
          { field: 'id', message: 'not yours' },
        ]);
      }
    }
    return true;
  }

  private async ownerOf(resource: string, id: string): Promise<{ owner: string | null } | null> {
    switch (resource) {
      case 'analysis': {
        const a = await this.analyses.get(id);
        return a ? { owner: a.owner ?? null } : null;
      }
      case 'watch': {
        const w = await this.watches.get(id);
        return w ? { owner: w.owner ?? null } : null;
      }
      case 'webhook': {
        const w = await this.webhooks.get(id);
        return w ? { owner: w.owner ?? null } : null;
      }
      default:
        throw new Error(`no owner lookup for resource ${resource}`);
    }
  }

  /** Records a refusal of an audited action (best effort: a refusal changes nothing, so it never waits on the log). */
  private async deny(req: PolicyRequest, action: PolicyAction, rule: PolicyRule, detail: string): Promise<void> {
    if (!rule.audited) return;
    const entry = {
      at: new Date().toISOString(),
      actor: actorOf(req),
      action,
      resource: { type: resourceOf(action), id: req.params?.id ?? null },
      result: 'denied' as const,
      status: 403,
      requestId: requestIdOf(req),
      detail,
    };
    await this.audit.append(entry).catch((e: Error) => this.logger.warn({ msg: 'audit write failed (denial)', error: e.message, entry }));
  }
}
