/**
 * Abstract syntax of a Falco condition, as written (macros not yet expanded). Every node keeps
 * `pos`, its character offset in the condition text, so errors can be mapped back to the YAML.
 */

export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;
export type Transformer = (typeof TRANSFORMERS)[number];

export const COMPARE_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex'] as const;
export const LIST_OPS = ['in', 'intersects', 'pmatch'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ListOp = (typeof LIST_OPS)[number];
export type Operator = CompareOp | ListOp | 'exists';

export interface FieldRefNode {
  /** Field name as written, without the bracket argument: `proc.aname`, `evt.arg.name`. */
  name: string;
  /** Text inside `[...]`, if any. */
  arg?: string;
  /** Transformers applied, innermost first: `tolower(basename(fd.name))` → ['basename', 'tolower']. */
  transformers: Transformer[];
  pos: number;
  /** Source text of the whole field expression, for messages. */
  text: string;
}

export interface ListItemNode {
  value: string;
  /** Quoted items are always literals; bare items naming a list expand to its items. */
  quoted: boolean;
  pos: number;
}

export type ValueNode =
  | { kind: 'literal'; value: string; quoted: boolean; pos: number }
  | { kind: 'list'; items: ListItemNode[]; pos: number }
  | { kind: 'field'; field: FieldRefNode; pos: number };

export type ConditionNode =
  | { kind: 'and'; items: ConditionNode[]; pos: number }
  | { kind: 'or'; items: ConditionNode[]; pos: number }
  | { kind: 'not'; item: ConditionNode; pos: number }
  | { kind: 'macro'; name: string; pos: number }
  | { kind: 'check'; field: FieldRefNode; op: Operator; value?: ValueNode; pos: number };
