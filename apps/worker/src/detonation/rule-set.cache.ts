import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { type CompiledRuleSet, type ProbeVisibility, type RuleSource, compileRules } from '#analysis';
import type { SandboxProfile } from '#core/profiles/profile';

/**
 * Compiled rule sets per (profile, probe), recompiled only when a rule file changes. Rules are
 * parsed once and compiled to closures; every run of the profile shares the result.
 */
@Injectable()
export class RuleSetCache {
  private readonly logger = new Logger(RuleSetCache.name);
  private readonly cache = new Map<string, { stamp: string; rules: CompiledRuleSet }>();

  async get(profile: SandboxProfile, probe: ProbeVisibility): Promise<CompiledRuleSet> {
    const { unavailableFields, eventTypes } = probe;
    const key = `${profile.name}\u0000${[...unavailableFields].sort().join(',')}\u0000${eventTypes ? [...eventTypes].sort().join(',') : '*'}`;
    const stamps = await Promise.all(profile.rules.map(async (f) => `${f}:${(await stat(f)).mtimeMs}`));
    const stamp = stamps.join('|');
    const hit = this.cache.get(key);
    if (hit && hit.stamp === stamp) return hit.rules;
    const sources: RuleSource[] = await Promise.all(profile.rules.map(async (f) => ({ name: basename(f), text: await readFile(f, 'utf8') })));
    const rules = compileRules(sources, { unavailableFields, capturedEventTypes: eventTypes });
    const problems = rules.report.filter((r) => r.status !== 'loaded');
    this.logger.log({ msg: 'rules compiled', profile: profile.name, version: rules.version, rules: rules.ruleNames.length, skippedOrErrors: problems.length });
    for (const p of problems.slice(0, 20)) this.logger.warn({ msg: 'rule not loaded', profile: profile.name, ...p });
    this.cache.set(key, { stamp, rules });
    return rules;
  }
}
