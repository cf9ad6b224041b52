import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';

/**
 * Harbor's Scanner Adapter API v1.2 schemas (test/fixtures/harbor, written from the spec): what a
 * Harbor-like client of our own checks every answer against. Harbor itself cannot run here.
 */
const schema = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/harbor/scanner-adapter-v1.2.schema.json'), 'utf8')) as { $id: string };
const ajv = new Ajv({ allErrors: true, strict: false });
(ajvFormats as unknown as (a: Ajv) => Ajv)(ajv);
ajv.addSchema(schema);

export type HarborSchema = 'ScannerAdapterMetadata' | 'ScanRequest' | 'ScanResponse' | 'HarborVulnerabilityReport' | 'ErrorResponse';

/** Whether `body` is valid against one of the spec's schemas. */
export function harborValid(name: HarborSchema, body: unknown): boolean {
  return ajv.getSchema(`${schema.$id}#/definitions/${name}`)!(body) as boolean;
}

/** Parses `text` and checks it against the schema `name`; throws with ajv's errors otherwise. */
export function harborBody(name: HarborSchema, text: string): Record<string, any> {
  const body = JSON.parse(text) as unknown;
  const validate = ajv.getSchema(`${schema.$id}#/definitions/${name}`)!;
  if (!validate(body)) throw new Error(`${name} invalid: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 500)}`);
  return body as Record<string, any>;
}

export const HARBOR_ERROR_MIME = /^application\/vnd\.scanner\.adapter\.error\+json; version=1\.0/;
