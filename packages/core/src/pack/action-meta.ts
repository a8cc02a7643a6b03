import { runnerAvailability, runnerParameters } from '../params/runner-parameters.ts';
import { parseParameterSpecs } from '../params/parameter-spec.ts';
import { checkEntryPoint } from './entry-point.ts';
import { fieldReader, unknownKeys } from './meta-fields.ts';
import { checkNotifyMeta } from './notify-meta.ts';
import { typeOf } from './pack-meta.ts';
import type { ActionMeta, ActionUnavailable, ParameterSpec } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

const knownKeys = new Set([
  'name', 'ref', 'pack', 'description', 'enabled', 'runner_type', 'entry_point', 'parameters',
  'output_schema', 'output_key', 'tags', 'notify', 'uid', 'id', 'metadata_file',
]);

/** Runners that run the file named by `entry_point`; for the others it is ignored. */
const entryPointRunners = new Set(['python-script', 'local-shell-script', 'node-script', 'orquesta', 'action-chain']);

export interface ParsedMeta<T> {
  meta: T;
  unknownKeys: string[];
}

/** Parses one `actions/*.yaml`; throws ACTION_INVALID naming the file and field. */
export async function parseActionMeta(
  value: unknown,
  where: { file: string; pack: string; packDir: string },
): Promise<ParsedMeta<ActionMeta>> {
  const { file, pack } = where;
  if (!isPlainObject(value)) {
    return fieldReader('ACTION_INVALID', file, {}).fail('', `must be a mapping of fields, got ${typeOf(value)}`);
  }
  const read = fieldReader('ACTION_INVALID', file, value);
  const name = read.requiredString('name');
  if (name.includes('/') || name.includes('\0')) read.fail('name', 'must not contain "/" or NUL');
  read.samePack(pack);

  const declaredRunner = read.requiredString('runner_type');
  const availability = runnerAvailability(declaredRunner, pack);
  const entryPoint = read.optionalString('entry_point');
  let runner: string;
  let parameters: Record<string, ParameterSpec>;
  let unavailable: ActionUnavailable | undefined;
  if ('runner' in availability) {
    runner = availability.runner;
    if (entryPoint !== undefined && entryPoint !== '' && entryPointRunners.has(runner)) {
      const problem = await checkEntryPoint(where.packDir, 'actions', entryPoint);
      if (problem !== undefined) read.fail('entry_point', problem);
    } else if ((entryPoint === undefined || entryPoint === '') && entryPointRunners.has(runner)) {
      read.fail('entry_point', `is required by the ${runner} runner`);
    }
    parameters = parseParameterSpecs(value['parameters'], { file, runnerParameters: runnerParameters(runner) });
  } else {
    // The runner is what keeps it from running: its parameters are read for display only, and may
    // lean on the missing runner's own (an immutable override without a default), so a parameter
    // that does not parse without them is left out rather than reported.
    runner = availability.missing;
    unavailable = { code: 'ACTION_RUNNER_MISSING', runner: availability.missing, message: `${file}: ${availability.reason}` };
    parameters = readableParameters(value['parameters'], file);
  }
  const outputSchema = read.mapping('output_schema');
  checkNotifyMeta(value['notify'], read.fail);
  const description = read.optionalString('description');

  const meta: ActionMeta = {
    ref: `${pack}.${name}`,
    name,
    pack,
    enabled: read.flag('enabled', true),
    runnerType: runner,
    parameters,
    tags: read.list('tags'),
    file,
    raw: value,
  };
  if (description !== undefined) meta.description = description;
  if (unavailable !== undefined) meta.unavailable = unavailable;
  if (entryPoint !== undefined && entryPoint !== '') meta.entryPoint = entryPoint;
  if (outputSchema !== undefined) meta.outputSchema = outputSchema;
  return { meta, unknownKeys: unknownKeys(value, knownKeys) };
}

/** The parameters of an action whose runner is missing, each parsed alone; those that do not parse are left out. */
function readableParameters(raw: unknown, file: string): Record<string, ParameterSpec> {
  if (!isPlainObject(raw)) return {};
  const specs: Record<string, ParameterSpec> = {};
  for (const [name, spec] of Object.entries(raw)) {
    try {
      Object.assign(specs, parseParameterSpecs({ [name]: spec }, { file }));
    } catch {
      // Shown through the action's raw metadata instead.
    }
  }
  return specs;
}
