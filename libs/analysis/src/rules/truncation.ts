/**
 * Truncated events and the rules that read them. A probe that cuts a string (the bpftrace engine at
 * 127 bytes, strace at `-s`, gVisor's log at its size limit, a very long argv or environment) must
 * not let a rule that reads the cut part count as "did not match": the part it needed may be
 * exactly what was cut (`/./././…/etc/shadow`). Parsers mark the cut arguments (`markTruncated`),
 * the state tracker turns them into the event's `truncated` parts (and carries them on processes
 * and fds), and the rule engine reports each rule that reads a truncated part of an event and did
 * not match it as not evaluated for the run (probe-blind), which scoring turns into `inconclusive`
 * when the rule could have been decisive.
 *
 * Captured write/send buffers (`evt.buffer`, `evt.arg.data`) are a prefix by design (Falco's
 * snaplen) and are not treated as truncation.
 */
import { TRUNCATED_PARTS, type TruncatedPart } from '../events/event.js';

export const TRUNC_BIT: Readonly<Record<TruncatedPart, number>> = Object.fromEntries(TRUNCATED_PARTS.map((p, i) => [p, 1 << i])) as Record<TruncatedPart, number>;

/** Rule fields (by registry name or display name) fed by each part. Prefix match on the field name. */
const PART_FIELDS: Readonly<Record<TruncatedPart, readonly string[]>> = {
  args: ['evt.arg', 'evt.args', 'evt.rawarg', 'fd.name', 'fd.nameraw', 'fd.directory', 'fd.filename', 'fs.path.'],
  cmdline: ['proc.cmdline', 'proc.exeline', 'proc.args', 'proc.cmdnargs', 'proc.cmdlenargs', 'proc.exe'],
  env: ['proc.env'],
  exepath: ['proc.exepath', 'proc.name'],
  pcmdline: ['proc.pcmdline'],
  pexepath: ['proc.pexepath', 'proc.pexe', 'proc.pname'],
  acmdline: ['proc.acmdline'],
  aexepath: ['proc.aexepath', 'proc.aexe', 'proc.aname'],
};

/** Bits of the parts a field reads (0: no truncatable part). `evt.buffer` and `evt.arg.data` read captured data prefixes: 0. */
export function truncationMaskOfField(field: string): number {
  if (field === 'evt.arg.data' || field === 'evt.rawarg.data' || field === 'evt.buffer' || field === 'evt.buflen') return 0;
  let m = 0;
  for (const part of TRUNCATED_PARTS) {
    for (const pre of PART_FIELDS[part]) {
      if (field === pre || (field.startsWith(pre) && (pre.endsWith('.') || /^[.[]/.test(field.slice(pre.length))))) { m |= TRUNC_BIT[part]; break; }
    }
  }
  return m;
}

/** Bits of every part a rule (its fields) reads. */
export function truncationMaskOfFields(fields: Iterable<string>): number {
  let m = 0;
  for (const f of fields) m |= truncationMaskOfField(f);
  return m;
}

export function truncationMask(parts: readonly TruncatedPart[] | undefined): number {
  if (parts === undefined) return 0;
  let m = 0;
  for (const p of parts) m |= TRUNC_BIT[p] ?? 0;
  return m;
}

export function truncatedParts(mask: number): TruncatedPart[] {
  const out: TruncatedPart[] = [];
  for (const p of TRUNCATED_PARTS) if (mask & TRUNC_BIT[p]) out.push(p);
  return out;
}

/** A rule that read a truncated part of at least one event and did not match it. */
export interface TruncationBlind {
  rule: string;
  priority: import('./types.js').Priority;
  /** Events on which it could not be evaluated. */
  events: number;
  /** The truncated parts it read, over those events. */
  parts: TruncatedPart[];
  /** seq of the first such event. */
  firstSeq: number;
}
