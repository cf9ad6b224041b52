/**
 * Rule fields of static image check events (`source: static`, `evt.type = static`; one event per
 * check that found something, docs/static-checks.md). On other events they are <NA> (comparisons false).
 */
import type { EvalContext } from '../state/context.js';
import type { FieldDef, FieldType, FieldValue } from './field.js';

function field(name: string, arg: string, type: FieldType, desc: string): FieldDef {
  const getter = (c: EvalContext): FieldValue => (c.event.source === 'static' ? c.event.args[arg] : undefined);
  return {
    name, type, desc,
    extract: (c) => getter(c),
    bind: (a) => {
      if (a !== undefined) throw new Error(`field '${name}' does not take an argument`);
      return getter;
    },
  };
}

export function staticFields(): FieldDef[] {
  return [
    field('static.check', 'check', 'string', 'Static image check id: root-user, no-healthcheck, secret, possible-secret, setuid, world-writable-dir, not-minimal, image-size, layer-count, os-eol, os-eol-unknown, scan-incomplete.'),
    field('static.cis', 'cis', 'string', 'CIS Docker Benchmark id of the check (4.1, 4.6, 4.8, 4.10, …), or Q.n for Quarantine\'s own.'),
    field('static.priority', 'priority', 'string', 'Priority the check was given (its default or the profile\'s static.checks override).'),
    field('static.count', 'count', 'number', 'How many items the check found (files, variables, …).'),
    field('static.detail', 'detail', 'string', 'One-line description of what the check found (secret values redacted).'),
  ];
}
