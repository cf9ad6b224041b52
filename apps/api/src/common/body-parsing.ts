import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Request bodies, parsed before routing with bounded cost:
 * - JSON (`application/json`, `application/*+json`) is read as text by body-parser (size limit,
 *   charset and Content-Encoding handling, the limit applied after inflation), then scanned for
 *   nesting depth in one linear pass BEFORE `JSON.parse`, so a 100,000-deep array never reaches
 *   the parser, class-transformer or class-validator (which recurse); then parsed; then walked for
 *   the keys named like Object.prototype members (`__proto__`, `constructor`…) and
 *   `prototype`, which no DTO has and which slip past the validation whitelist (RESERVED_KEYS).
 * - YAML types (rule files) as text with a larger limit.
 * Every failure is an error with a body-parser style `type` and a 4xx `status`, which
 * `toBody` (http-exception.filter.ts) maps to the stable JSON error body.
 */
export const JSON_TYPES = ['application/json', 'application/*+json'];
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
/**
 * Keys no body or query may use: the members of Object.prototype (`__proto__`, `constructor`,
 * `toString`…) and `prototype`. class-validator's whitelist looks names up in a plain object, so
 * these slip past forbidNonWhitelisted; class-transformer drops or mishandles some of them.
 */
export const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

export const RESERVED_KEY_MESSAGE = 'is a reserved name (__proto__, constructor, prototype and the other Object.prototype members are refused)';

export class BodyError extends Error {
  readonly expose = true;
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly field = 'body',
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * Depth of the deepest array/object in JSON text, or -1 as soon as it passes `max` (the text is
 * not required to be valid JSON: brackets inside strings are skipped, the rest is the parser's job).
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** The first reserved key (RESERVED_KEYS) in a parsed body or query, as a dotted path. */
export function reservedKeyPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (RESERVED_KEYS.has(k)) return p;
      stack.push([(v as Record<string, unknown>)[k], p]);
    }
  }
  return null;
}

/** Parses JSON text the way body-parser's strict mode does, plus the depth and reserved-key checks. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.length === 0) return {};
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new BodyError('entity.too.deep', 400, `request body nests arrays/objects deeper than ${maxDepth} levels`);
  }
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw new BodyError('entity.parse.failed', 400, 'request body must be a JSON object or array');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BodyError('entity.parse.failed', 400, `request body is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  const reserved = reservedKeyPath(value);
  if (reserved) throw new BodyError('entity.reserved.key', 400, `request body has the reserved key "${reserved}"`, reserved);
  return value;
}

export function bodyParsers(opts: { maxBodyBytes: number; maxJsonDepth: number }): express.RequestHandler[] {
  const jsonText = express.text({ limit: opts.maxBodyBytes, type: JSON_TYPES, defaultCharset: 'utf-8' });
  const yamlText = express.text({ limit: Math.max(opts.maxBodyBytes, 1024 * 1024), type: YAML_TYPES });
  const parseJson = (req: Request, _res: Response, next: NextFunction) => {
    if (typeof req.body !== 'string' || !req.is(JSON_TYPES)) return next();
    try {
      // The exact text, for routes that check a signature over the body (registry events' HMAC).
      (req as Request & { rawBody?: string }).rawBody = req.body;
      req.body = parseJsonBody(req.body, opts.maxJsonDepth);
      next();
    } catch (e) {
      next(e);
    }
  };
  return [jsonText, parseJson, yamlText];
}
