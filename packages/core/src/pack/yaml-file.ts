import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';

/**
 * YAML as StackStorm reads it (PyYAML safe_load), minus what does not survive JSON: timestamps stay
 * strings rather than becoming Date objects, so metadata can be stored and sent as JSON unchanged.
 * Merge keys (`<<`) are kept because real packs use them.
 */
// @types/js-yaml omits the exported `types` table that js-yaml 4 has.
const mergeType = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;

/**
 * PyYAML reads YAML 1.1, where `yes`/`no`/`on`/`off` are booleans; packs and site configs written
 * for StackStorm rely on that (`verify_ssl: no`), so the YAML 1.2 boolean type is replaced.
 */
const yaml11Booleans: Record<string, boolean> = Object.fromEntries(
  ['true', 'yes', 'on'].flatMap((word) => [word, word[0]!.toUpperCase() + word.slice(1), word.toUpperCase()].map((form) => [form, true])).concat(
    ['false', 'no', 'off'].flatMap((word) => [word, word[0]!.toUpperCase() + word.slice(1), word.toUpperCase()].map((form) => [form, false])),
  ),
);
const yaml11Bool = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && data in yaml11Booleans,
  construct: (data: string) => yaml11Booleans[data],
  predicate: (object: unknown) => typeof object === 'boolean',
  represent: (object: object) => (object ? 'true' : 'false'),
});

const packYamlSchema = yaml.CORE_SCHEMA.extend({ implicit: [yaml11Bool, mergeType] });

export type YamlReadResult = { ok: true; value: unknown } | { ok: false; reason: 'missing' | 'unreadable' | 'syntax'; message: string };

export function missingFile(): YamlReadResult {
  return { ok: false, reason: 'missing', message: 'file not found' };
}

/** Reads and parses one YAML file, turning every failure into a reason instead of an exception. */
export async function readYamlFile(file: string): Promise<YamlReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return missingFile();
    return { ok: false, reason: 'unreadable', message: `cannot read file (${code ?? String(error)})` };
  }
  return parseYaml(text, file);
}

/**
 * `filename` is not handed to js-yaml: it would write the path into the message (`in "<file>"`),
 * and every caller names the file itself, as the user knows it, in front of the message.
 */
export function parseYaml(text: string, _filename: string): YamlReadResult {
  try {
    // json: true lets a duplicated key override the earlier one, as PyYAML does, instead of failing.
    return { ok: true, value: yaml.load(text, { schema: packYamlSchema, json: true }) };
  } catch (error) {
    const message = error instanceof yaml.YAMLException ? error.message : String(error);
    return { ok: false, reason: 'syntax', message: `invalid YAML: ${message}` };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
