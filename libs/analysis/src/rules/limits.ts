/**
 * Bounds on what a rules file may ask the engine to do. Rule files reach the API from users
 * (`POST /v1/rules/validate`, analyst keys), so everything that expands — macros referencing
 * macros, lists referencing lists, nested parentheses and `not`, long literals and patterns —
 * has a size and a depth cap, checked while it is built (never after an exponential expansion).
 *
 * The shipped rules use a small fraction of each (see docs/rules-and-scoring.md, "Limits").
 * Exceeding one is a `RuleLimitViolation`: the item is reported as an error, and the validate
 * endpoint answers 400 naming the item and field.
 */

export const RULE_LIMITS = {
  /** Bytes of one rules file. */
  maxFileBytes: 1024 * 1024,
  /** Nesting of YAML collections (items, exceptions, their values). */
  maxYamlDepth: 32,
  /** Rules, macros and lists (each) over all files of one rule set. */
  maxItemsPerKind: 5_000,
  /** Characters of one condition (after append/override). */
  maxConditionChars: 64 * 1024,
  /** Characters of one string literal, bare value or list item. */
  maxLiteralChars: 4 * 1024,
  /** Characters of one `regex` pattern, and of one glob pattern (`glob`, `iglob`, `pmatch`). */
  maxPatternChars: 1_000,
  /** Nesting of parentheses, `not` and transformer calls in one condition as written. */
  maxParseDepth: 200,
  /** Macros inside macros (a chain a → b → c … counts its length). */
  maxMacroDepth: 64,
  /** Depth of a rule's condition after macro expansion (what every compiler pass recurses over). */
  maxExpandedDepth: 1_000,
  /**
   * Condition nodes of one rule after macro expansion (a macro used n times counts n times, a
   * literal or pattern weighs one node per 256 characters). Macros are resolved once and shared,
   * so this bounds the work of the passes that see the expanded tree (event types, code generation).
   */
  maxExpandedNodes: 10_000,
  /** Items of one list after expanding the lists it names; and of one `in (...)` list. */
  maxListItems: 20_000,
  /** Lists inside lists. */
  maxListDepth: 32,
  /**
   * Condition nodes compiled over the whole rule set: each rule is compiled once per event type it
   * is indexed under, so this is the sum over rules of expanded nodes × specialisations.
   */
  maxCompiledNodes: 500_000,
} as const;

export type RuleLimits = typeof RULE_LIMITS;

/** One limit a rules file exceeded: `field` names the item and key (`macro 'm1'.condition`). */
export interface RuleLimitViolation {
  field: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** `rule 'x'.condition`, `macro 'm'.condition`, `list 'l'.items`. */
export function itemField(kind: string, name: string, key: string): string {
  return `${kind} '${name}'.${key}`;
}

/** Weight of a literal or pattern in `maxExpandedNodes`. */
export function literalWeight(text: string | undefined): number {
  return text === undefined ? 0 : text.length >> 8;
}
