import { checkEntryPoint } from './entry-point.ts';
import { fieldReader, unknownKeys } from './meta-fields.ts';
import type { ParsedMeta } from './action-meta.ts';
import { typeOf } from './pack-meta.ts';
import type { SensorMeta, TriggerTypeSpec } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

const knownKeys = new Set([
  'class_name', 'name', 'ref', 'pack', 'entry_point', 'description', 'enabled', 'poll_interval',
  'trigger_types', 'uid', 'id', 'metadata_file', 'artifact_uri',
]);

/** Parses one `sensors/*.yaml`; throws SENSOR_INVALID naming the file and field. */
export async function parseSensorMeta(
  value: unknown,
  where: { file: string; pack: string; packDir: string },
): Promise<ParsedMeta<SensorMeta>> {
  const { file, pack } = where;
  if (!isPlainObject(value)) {
    return fieldReader('SENSOR_INVALID', file, {}).fail('', `must be a mapping of fields, got ${typeOf(value)}`);
  }
  const read = fieldReader('SENSOR_INVALID', file, value);
  const className = read.requiredString('class_name');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(className)) read.fail('class_name', `"${className}" is not a class name`);
  read.samePack(pack);

  const entryPoint = read.optionalString('entry_point');
  if (entryPoint === undefined || entryPoint === '') read.fail('entry_point', 'is required');
  const entryProblem = await checkEntryPoint(where.packDir, 'sensors', entryPoint as string);
  if (entryProblem !== undefined) read.fail('entry_point', entryProblem);

  const pollInterval = value['poll_interval'];
  if (pollInterval !== undefined && pollInterval !== null && (typeof pollInterval !== 'number' || !(pollInterval > 0))) {
    read.fail('poll_interval', `must be a number of seconds > 0, got ${JSON.stringify(pollInterval)}`);
  }

  const names = new Set<string>();
  const triggerTypes = read.list('trigger_types').map((raw, index): TriggerTypeSpec => {
    const prefix = `trigger_types.${index}.`;
    if (!isPlainObject(raw)) return read.fail(`trigger_types.${index}`, `must be a mapping, got ${typeOf(raw)}`);
    const name = read.requiredString('name', raw, prefix);
    if (name.includes('/') || name.includes('\0')) read.fail(`${prefix}name`, 'must not contain "/" or NUL');
    if (names.has(name)) read.fail(`${prefix}name`, `trigger type "${name}" is declared twice`);
    names.add(name);
    const spec: TriggerTypeSpec = { ref: `${pack}.${name}`, name, pack, tags: Array.isArray(raw['tags']) ? raw['tags'] : [], raw };
    const description = read.optionalString('description', raw, prefix);
    if (description !== undefined) spec.description = description;
    const payloadSchema = read.mapping('payload_schema', raw, prefix);
    if (payloadSchema !== undefined) spec.payloadSchema = payloadSchema;
    const parametersSchema = read.mapping('parameters_schema', raw, prefix);
    if (parametersSchema !== undefined) spec.parametersSchema = parametersSchema;
    return spec;
  });

  const meta: SensorMeta = {
    ref: `${pack}.${className}`,
    className,
    pack,
    entryPoint: entryPoint as string,
    enabled: read.flag('enabled', true),
    triggerTypes,
    file,
    raw: value,
  };
  const description = read.optionalString('description');
  if (description !== undefined) meta.description = description;
  if (typeof pollInterval === 'number') meta.pollInterval = pollInterval;
  return { meta, unknownKeys: unknownKeys(value, knownKeys) };
}
