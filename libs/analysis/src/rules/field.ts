import type { EvalContext } from '../state/context.js';

/** Value a field yields; `undefined` means "not available for this event" (Falco's <NA>). */
export type FieldValue = string | number | boolean | string[] | number[] | undefined;

export type FieldType = 'string' | 'number' | 'bool' | 'ipaddr' | 'ipnet' | 'list';

export interface FieldDef {
  /** Falco field name without argument, e.g. `proc.aname`, `evt.arg`. */
  name: string;
  type: FieldType;
  /** `required`: field needs an argument (`proc.aname[2]`, `evt.arg.name`); `optional`: may take one. */
  arg?: 'required' | 'optional';
  /** Extracts the value for one event. `arg` is the text inside [] or after the dot. */
  extract(ctx: EvalContext, arg?: string): FieldValue;
  desc?: string;
}

/** Registry the rule compiler resolves field names against. */
export interface FieldRegistry {
  get(name: string): FieldDef | undefined;
}
