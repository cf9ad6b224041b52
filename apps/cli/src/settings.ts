import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** Where the API is and the key to use: flags, then QUARANTINE_URL / QUARANTINE_API_KEY, then the config file. */
export interface Settings {
  url: string;
  apiKey?: string;
}

/** `$XDG_CONFIG_HOME/quarantine/config.json` (default `~/.config/quarantine/config.json`): `{ "url": …, "apiKey": … }`. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'quarantine', 'config.json');
}

function readConfigFile(path: string): Partial<Settings> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the config file ${path}: ${(e as Error).message}`, EXIT.usage);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`the config file ${path} is not JSON (expected {"url": "...", "apiKey": "..."})`, EXIT.usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`the config file ${path} must hold a JSON object`, EXIT.usage);
  const o = parsed as Record<string, unknown>;
  for (const k of ['url', 'apiKey']) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new CliError(`the config file ${path}: "${k}" must be a string`, EXIT.usage);
  }
  return { url: o.url as string | undefined, apiKey: o.apiKey as string | undefined };
}

export function resolveSettings(flags: { url?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): Settings {
  const file = readConfigFile(configFilePath(env));
  // An empty variable counts as unset.
  const url = (flags.url?.trim() || env.QUARANTINE_URL?.trim() || file.url?.trim() || 'http://127.0.0.1:3000').trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`the API address "${url}" is not a URL: set --url or QUARANTINE_URL (e.g. http://127.0.0.1:3000)`, EXIT.usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`the API address must be http(s), got "${url}"`, EXIT.usage);
  const apiKey = flags.apiKey?.trim() || env.QUARANTINE_API_KEY?.trim() || file.apiKey?.trim() || undefined;
  return { url: parsed.toString().replace(/\/+$/, ''), apiKey };
}
