/**
 * Settings loading, as SlateDB 0.12.1's `Settings::from_file`, `Settings::from_env` and `Settings::load` do: from
 * a .json, .toml, .yaml or .yml file, from environment variables under a prefix, and merged
 * defaults ← SlateDb.json ← SlateDb.toml ← SlateDb.yaml ← SlateDb.yml ← ShaleDb.{json,toml,yaml,yml} ←
 * SLATEDB_* ← SHALEDB_* (later sources override earlier ones field by field; nested objects merge).
 *
 * Names: snake_case (SlateDB's files) and camelCase are both accepted, at every level except inside
 * `compactorOptions.schedulerOptions`, whose keys are SlateDB's own strings. An environment variable names a
 * field path after its prefix, segments separated by "." as in 0.12.1 (SLATEDB_OBJECT_STORE_CACHE_OPTIONS.ROOT_FOLDER)
 * or by "__" (a ShaleDB addition, since shells cannot export names with "."); its value is typed by the field
 * (integers, true/false, duration strings; "null" for fields that may be null).
 *
 * Invariants: every loader returns Settings that `resolveSettings` accepts, or throws an 'invalid' INVALID_SETTING
 * error naming the source and the key. Unknown keys are rejected (0.12.1 silently ignores them): in files always,
 * and for environment variables except ShaleDB's own tooling variables (SHALEDB_SEED, SHALEDB_INVARIANTS,
 * SHALEDB_REWRITE, SHALEDB_LOG, SHALEDB_TEST_*, SHALEDB_BENCH_*), which are not settings.
 * Concurrency: reads files; otherwise pure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { defaultObjectStoreCacheOptions } from '../object-store/disk-cache/options.js';
import { invalidError, ShaleDBError } from '../util/errors.js';
import {
  defaultCompactorOptions,
  defaultGarbageCollectorOptions,
  defaultSettings,
  resolveSettings,
  type Settings,
} from './settings.js';

type Plain = Record<string, unknown>;

/** The type of a leaf field, which decides how an environment value is read. */
type Leaf = 'int' | 'bool' | 'string' | 'duration' | 'map';

interface Shape {
  readonly fields: Record<string, Leaf | Shape>;
}

function shapeOf(defaults: object, overrides: Record<string, Leaf | Shape>): Shape {
  const fields: Record<string, Leaf | Shape> = {};
  for (const [k, v] of Object.entries(defaults)) {
    fields[k] =
      overrides[k] ?? (typeof v === 'number' ? 'int' : typeof v === 'boolean' ? 'bool' : 'duration');
  }
  return { fields };
}

const GC_DIR: Shape = { fields: { interval: 'duration', minAge: 'duration' } };

const SHAPE: Shape = shapeOf(defaultSettings(), {
  compressionCodec: 'string',
  defaultTtl: 'int',
  compactorOptions: shapeOf(defaultCompactorOptions(), { schedulerOptions: 'map' }),
  garbageCollectorOptions: shapeOf(defaultGarbageCollectorOptions(), {
    manifestOptions: GC_DIR,
    walOptions: GC_DIR,
    compactedOptions: GC_DIR,
    compactionsOptions: GC_DIR,
  }),
  objectStoreCacheOptions: shapeOf(defaultObjectStoreCacheOptions(), {
    rootFolder: 'string',
    maxCacheSizeBytes: 'int',
    preloadDiskCacheOnStartup: 'string',
  }),
});

function bad(source: string, key: string, why: string): never {
  throw invalidError('INVALID_SETTING', `${source}: setting ${key}: ${why}`);
}

/** "flush_interval" → "flushInterval"; camelCase names pass through. */
function toCamel(name: string): string {
  return name.replace(/_+([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Rewrites keys to camelCase, checking them against the shape; `where` is the dotted path for messages. */
function normalize(value: Plain, shape: Shape, source: string, where: string): Plain {
  const out: Plain = {};
  const seen = new Map<string, string>();
  for (const [raw, v] of Object.entries(value)) {
    const key = toCamel(raw);
    const path = `${where}${raw}`;
    const field = shape.fields[key];
    if (field === undefined) {
      bad(source, path, `unknown setting (known: ${Object.keys(shape.fields).join(', ')})`);
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) bad(source, path, `given twice (also as ${where}${earlier})`);
    seen.set(key, raw);
    if (typeof field === 'object' && isPlain(v)) out[key] = normalize(v, field, source, `${path}.`);
    else if (field === 'map' && isPlain(v)) out[key] = { ...v };
    else out[key] = v;
  }
  return out;
}

/** 0.12.1 files spell codecs as its enum variants ("Snappy", "Zstd"); ShaleDB's values are lowercase. */
function canonicalCodec(s: Plain): Plain {
  const c = s['compressionCodec'];
  return typeof c === 'string' ? { ...s, compressionCodec: c.toLowerCase() } : s;
}

/** Deep merge: plain objects merge key by key; anything else (including null) replaces. */
function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? merge(b, v) : v;
  }
  return out;
}

/** Checks a merged value with `resolveSettings`, prefixing errors with the source. */
function validated(value: Plain, source: string): Partial<Settings> {
  try {
    resolveSettings(value as Partial<Settings>);
  } catch (e) {
    throw invalidError('INVALID_SETTING', `${source}: ${(e as Error).message}`, e);
  }
  return value as Partial<Settings>;
}

/** Parses one settings file's text by its extension (json, toml, yaml, yml) into normalized (camelCase) keys. */
export function parseSettingsText(text: string, extension: string, source: string): Partial<Settings> {
  let parsed: unknown;
  try {
    if (extension === 'json') parsed = JSON.parse(text);
    else if (extension === 'toml') parsed = parseToml(text);
    else if (extension === 'yaml' || extension === 'yml') parsed = text.trim() === '' ? {} : parseYaml(text);
    else {
      throw invalidError(
        'INVALID_SETTING',
        `${source}: unknown configuration format "${extension}" (use .json, .toml, .yaml or .yml)`,
      );
    }
  } catch (e) {
    if (e instanceof ShaleDBError) throw e;
    throw invalidError('INVALID_SETTING', `${source}: not valid ${extension}: ${(e as Error).message}`, e);
  }
  if (!isPlain(parsed)) bad(source, '(root)', 'expected a table/object of settings');
  return canonicalCodec(normalize(parsed, SHAPE, source, '')) as Partial<Settings>;
}

function readSettingsFile(path: string): Partial<Settings> {
  const ext = extname(path).slice(1).toLowerCase();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw invalidError('INVALID_SETTING', `${path}: cannot read settings file: ${(e as Error).message}`, e);
  }
  return parseSettingsText(text, ext, path);
}

/**
 * Settings from one file (0.12.1 `Settings::from_file`): the defaults with the file's values merged over them.
 * The format comes from the extension: .json, .toml, .yaml or .yml.
 */
export function settingsFromFile(path: string): Settings {
  const s = merge(defaultSettings() as unknown as Plain, readSettingsFile(path) as Plain);
  return validated(s, path) as Settings;
}

/** Environment variables that belong to ShaleDB's tooling, not to settings. */
function isToolingVariable(prefix: string, name: string): boolean {
  if (prefix !== 'SHALEDB_') return false;
  return /^(SEED|INVARIANTS|REWRITE|LOG|TEST_.*|BENCH_.*)$/.test(name);
}

function envValue(raw: string, leaf: Leaf, source: string, key: string): unknown {
  const t = raw.trim();
  if (t.toLowerCase() === 'null') return null;
  switch (leaf) {
    case 'int':
      if (!/^-?\d+$/.test(t)) bad(source, key, `expected an integer, got ${JSON.stringify(raw)}`);
      return Number(t);
    case 'bool':
      if (t.toLowerCase() === 'true') return true;
      if (t.toLowerCase() === 'false') return false;
      return bad(source, key, `expected true or false, got ${JSON.stringify(raw)}`);
    case 'duration':
      return /^\d+$/.test(t) ? Number(t) : raw;
    case 'map':
      return bad(source, key, 'give the map entries one by one (e.g. ..._OPTIONS__MIN_COMPACTION_SOURCES)');
    default:
      return raw;
  }
}

/**
 * The settings fields given by environment variables under `prefix` (0.12.1 `Settings::from_env` without the
 * defaults): only the fields that are set, keys in camelCase.
 */
export function settingsOverridesFromEnv(
  prefix: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Partial<Settings> {
  let out: Plain = {};
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const rest = name.slice(prefix.length);
    if (rest === '' || isToolingVariable(prefix, rest)) continue;
    const segments = rest.split(/\.|__/).map((s) => toCamel(s.toLowerCase()));
    let shape: Shape = SHAPE;
    const value: Plain = {};
    let cursor = value;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const field = shape.fields[seg];
      const last = i === segments.length - 1;
      if (field === 'map' && !last) {
        // A scheduler option: the rest of the name is the map key, in SlateDB's snake_case.
        const mapKey = rest
          .split(/\.|__/)
          .slice(i + 1)
          .join('_')
          .toLowerCase();
        cursor[seg] = { [mapKey]: raw };
        break;
      }
      if (field === undefined) {
        bad(`environment variable ${name}`, segments.slice(0, i + 1).join('.'), 'unknown setting');
      }
      if (last) {
        cursor[seg] =
          typeof field === 'object'
            ? raw.trim().toLowerCase() === 'null'
              ? null
              : bad(`environment variable ${name}`, seg, 'an options group can only be set to null')
            : envValue(raw, field, `environment variable ${name}`, segments.join('.'));
        break;
      }
      if (typeof field !== 'object') {
        bad(`environment variable ${name}`, segments.slice(0, i + 1).join('.'), 'is not an options group');
      }
      const next: Plain = {};
      cursor[seg] = next;
      cursor = next;
      shape = field;
    }
    out = merge(out, value);
  }
  return canonicalCodec(out) as Partial<Settings>;
}

/** Settings from the defaults and the environment (0.12.1 `Settings::from_env`); `prefix` such as "SLATEDB_". */
export function settingsFromEnv(
  prefix: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Settings {
  const s = merge(defaultSettings() as unknown as Plain, settingsOverridesFromEnv(prefix, env) as Plain);
  return validated(s, `environment ${prefix}*`) as Settings;
}

/** Options of {@link loadSettings}. */
export interface LoadSettingsOptions {
  /** Folder searched for SlateDb.* and ShaleDb.* files. Default the process's working directory. */
  readonly cwd?: string;
  /** The environment. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra files merged after the default ones (any of the four formats), in order. */
  readonly files?: readonly string[];
}

/** The files {@link loadSettings} reads when present, in merge order. */
export const DEFAULT_SETTINGS_FILES: readonly string[] = [
  'SlateDb.json',
  'SlateDb.toml',
  'SlateDb.yaml',
  'SlateDb.yml',
  'ShaleDb.json',
  'ShaleDb.toml',
  'ShaleDb.yaml',
  'ShaleDb.yml',
];

/**
 * 0.12.1 `Settings::load`: defaults ← SlateDb.{json,toml,yaml,yml} ← ShaleDb.{json,toml,yaml,yml} (those present
 * in `cwd`) ← `files` ← SLATEDB_* ← SHALEDB_* environment variables.
 */
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let s = defaultSettings() as unknown as Plain;
  const paths = [...DEFAULT_SETTINGS_FILES.map((f) => join(cwd, f)).filter((p) => existsSync(p))];
  for (const f of options.files ?? []) paths.push(f);
  for (const p of paths) s = merge(s, readSettingsFile(p) as Plain);
  s = merge(s, settingsOverridesFromEnv('SLATEDB_', env) as Plain);
  s = merge(s, settingsOverridesFromEnv('SHALEDB_', env) as Plain);
  return validated(s, 'loadSettings') as Settings;
}
