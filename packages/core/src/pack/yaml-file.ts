import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';

/**
 * YAML as StackStorm reads it (PyYAML safe_load), minus what does not survive JSON: timestamps stay
 * strings rather than becoming Date objects, so metadata can be stored and sent as JSON unchanged.
 * Merge keys (`<<`) are kept because real packs use them.
 */
// @types/js-yaml omits the exported `types` table that js-yaml 4 has.
const mergeType = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;
const packYamlSchema = yaml.CORE_SCHEMA.extend([mergeType]);

export type YamlReadResult = { ok: true; value: unknown } | { ok: false; reason: 'missing' | 'unreadable' | 'syntax'; message: string };

/** Reads and parses one YAML file, turning every failure into a reason instead of an exception. */
export async function readYamlFile(file: string): Promise<YamlReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'missing', message: 'file not found' };
    return { ok: false, reason: 'unreadable', message: `cannot read file (${code ?? String(error)})` };
  }
  return parseYaml(text, file);
}

export function parseYaml(text: string, filename: string): YamlReadResult {
  try {
    // json: true lets a duplicated key override the earlier one, as PyYAML does, instead of failing.
    return { ok: true, value: yaml.load(text, { schema: packYamlSchema, filename, json: true }) };
  } catch (error) {
    const message = error instanceof yaml.YAMLException ? error.message : String(error);
    return { ok: false, reason: 'syntax', message: `invalid YAML: ${message}` };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
