import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV_PREFIX = 'SWITCHPOST_';

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf of the defaults, as a path: the keys an environment variable can set. */
export function leafPaths(obj: Plain, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (isPlain(v)) out.push(...leafPaths(v, [...prefix, k]));
    else out.push([...prefix, k]);
  }
  return out;
}

export const envName = (path: string[]): string => ENV_PREFIX + path.join('_').toUpperCase();

/** Turn an environment string into the type the key's default has. */
function coerce(raw: string, like: unknown, name: string): unknown {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${name}: expected a number, got "${raw}"`);
    return n;
  }
  // A JSON list where false is the default (http.trust_proxy: false or its proxies).
  if (typeof like === 'boolean' && /^\s*\[/.test(raw)) return coerce(raw, null, name);
  if (typeof like === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
  }
  if (typeof like === 'string') return raw;
  if (raw === '') return null;
  // Arrays, objects and nullable keys take JSON; a bare string stays a string.
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name}: expected JSON, got "${raw}"`);
    }
  }
  return raw;
}

function setPath(obj: Plain, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[path[path.length - 1]!] = value;
}

function getPath(obj: Plain, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) cur = isPlain(cur) ? cur[k] : undefined;
  return cur;
}

/** Load the config: file (YAML or JSON) if given, then SWITCHPOST_* variables, then validate. */
export function loadConfig(opts: { file?: string | undefined; env?: NodeJS.ProcessEnv; overrides?: Plain } = {}): Config {
  const env = opts.env ?? process.env;
  let raw: Plain = {};
  const file = opts.file ?? env.SWITCHPOST_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (parsed != null && !isPlain(parsed)) throw new ConfigError(`config file ${file}: expected a mapping of keys at the top`);
    raw = (parsed as Plain | null) ?? {};
  }
  // The keys and their kinds; node.id set here since its default, the host name, may be refused (the real parse says so).
  const defaults = configSchema.parse({ node: { id: 'node' } }) as unknown as Plain;
  for (const path of leafPaths(defaults)) {
    const name = envName(path);
    const value = env[name];
    if (value !== undefined) setPath(raw, path, coerce(value, getPath(defaults, path), name));
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) raw[k] = isPlain(v) && isPlain(raw[k]) ? { ...(raw[k] as Plain), ...v } : v;
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.') || '(top level)';
    const unknown = issue.code === 'unrecognized_keys' ? `: unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : `: ${issue.message}`;
    const envHint = issue.path.length && issue.path.every((p) => typeof p === 'string') ? ` (env ${envName(issue.path as string[])})` : '';
    throw new ConfigError(`invalid config at ${key}${unknown}${issue.code === 'unrecognized_keys' ? '' : envHint}`);
  }
  return result.data;
}
