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
  /**
   * Optional fast path: validate the argument once at compile time and return an extractor
   * specialised for it (the rule compiler calls this once per field use, never per event).
   * Throw an Error with a readable message if the argument is invalid.
   */
  bind?(arg?: string): (ctx: EvalContext) => FieldValue;
  /**
   * Values may be arrays meaning "any of" (Falco's `proc.aname` without index, `fd.ip`, `fd.net`):
   * a comparison is true if it is true for at least one element.
   */
  multi?: boolean;
  /** How the value is approximated compared with Falco, if it is (shown in docs and reports). */
  approximation?: string;
}

/** Registry the rule compiler resolves field names against. */
export interface FieldRegistry {
  get(name: string): FieldDef | undefined;
}
