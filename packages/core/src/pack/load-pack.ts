import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isPackrunError } from '../errors.ts';
import { parseActionMeta, type ParsedMeta } from './action-meta.ts';
import { parseConfigSchema } from './config-schema.ts';
import { metaError } from './meta-fields.ts';
import { readPackMeta } from './pack-meta.ts';
import { parsePolicyMeta, type PolicyMeta } from './policy-meta.ts';
import { parseRuleMeta } from './rule-meta.ts';
import { parseSensorMeta } from './sensor-meta.ts';
import type { ActionMeta, ConfigSchema, LoadedPack, PackProblem, RuleMeta, SensorMeta } from './types.ts';
import { readYamlFile } from './yaml-file.ts';

type Kind =
  | { folder: 'actions'; code: 'ACTION_INVALID' }
  | { folder: 'sensors'; code: 'SENSOR_INVALID' }
  | { folder: 'rules'; code: 'RULE_INVALID' }
  | { folder: 'policies'; code: 'POLICY_INVALID' };

/**
 * Loads a pack folder. A broken pack.yaml fails the whole load (PackrunError naming the file and
 * field); a broken action, sensor, rule or config schema is recorded in `problems` and the rest
 * of the pack still loads, so one bad file never hides the others.
 */
export async function loadPack(dir: string): Promise<LoadedPack> {
  const packDir = path.resolve(dir);
  const meta = await readPackMeta(packDir);
  const pack = meta.ref;
  const problems: PackProblem[] = [];
  const warnings: PackProblem[] = meta.unknownKeys.map((key) => unknownKeyWarning('pack.yaml', key));

  const collect = async <T extends { file: string }>(
    kind: Kind,
    parse: (value: unknown, file: string) => Promise<ParsedMeta<T>> | ParsedMeta<T>,
    identity: (meta: T) => string,
  ): Promise<T[]> => {
    const loaded: T[] = [];
    const seen = new Map<string, string>();
    for (const file of await metadataFiles(packDir, kind.folder)) {
      try {
        const read = await readYamlFile(path.join(packDir, file));
        if (!read.ok) throw metaError(kind.code, file, undefined, read.message);
        const parsed = await parse(read.value, file);
        const id = identity(parsed.meta);
        const earlier = seen.get(id);
        if (earlier !== undefined) throw metaError(kind.code, file, undefined, `"${id}" is already defined in ${earlier}`);
        seen.set(id, file);
        loaded.push(parsed.meta);
        warnings.push(...parsed.unknownKeys.map((key) => unknownKeyWarning(file, key)));
      } catch (error) {
        problems.push(toProblem(error, file));
      }
    }
    return loaded;
  };

  const actions = await collect<ActionMeta>(
    { folder: 'actions', code: 'ACTION_INVALID' },
    (value, file) => parseActionMeta(value, { file, pack, packDir }),
    (action) => action.ref,
  );
  const sensors = await collect<SensorMeta>(
    { folder: 'sensors', code: 'SENSOR_INVALID' },
    (value, file) => parseSensorMeta(value, { file, pack, packDir }),
    (sensor) => sensor.ref,
  );
  const rules = await collect<RuleMeta>(
    { folder: 'rules', code: 'RULE_INVALID' },
    (value, file) => parseRuleMeta(value, { file, pack }),
    (rule) => rule.ref,
  );

  const policies = (
    await collect<PolicyMeta>(
      { folder: 'policies', code: 'POLICY_INVALID' },
      (value, file) => parsePolicyMeta(value, { file, pack }),
      (policy) => policy.ref,
    )
  ).filter((policy) => {
    const problem = policyTargetProblem(policy, actions);
    if (problem) problems.push(problem);
    return problem === undefined;
  });

  const loaded: LoadedPack = { ref: pack, dir: packDir, meta, actions, sensors, rules, policies, problems, warnings };
  const configSchema = await readConfigSchema(packDir, problems);
  if (configSchema !== undefined) loaded.configSchema = configSchema;
  return loaded;
}

async function readConfigSchema(packDir: string, problems: PackProblem[]): Promise<ConfigSchema | undefined> {
  const file = 'config.schema.yaml';
  const read = await readYamlFile(path.join(packDir, file));
  if (!read.ok) {
    if (read.reason !== 'missing') problems.push({ file, message: `${file}: ${read.message}`, code: 'CONFIG_SCHEMA_INVALID' });
    return undefined;
  }
  try {
    return parseConfigSchema(read.value, file);
  } catch (error) {
    problems.push(toProblem(error, file));
    return undefined;
  }
}

/**
 * `<folder>/*.yaml`, `*.yml` and `*.json` (StackStorm's registrars accept all three), top level only
 * (subfolders hold entry points and libraries), sorted.
 */
async function metadataFiles(packDir: string, folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(packDir, folder), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name))
    .map((entry) => `${folder}/${entry.name}`)
    .sort();
}

function toProblem(error: unknown, file: string): PackProblem {
  if (!isPackrunError(error)) throw error;
  const problem: PackProblem = { file, message: error.message, code: error.code };
  const field = error.details['field'];
  if (typeof field === 'string' && field !== '') problem.field = field;
  return problem;
}

/** A policy must name one of the pack's actions, and a per-attribute policy that action's parameters. */
function policyTargetProblem(policy: PolicyMeta, actions: ActionMeta[]): PackProblem | undefined {
  const action = actions.find((candidate) => candidate.ref === policy.resourceRef);
  const problem = (field: string, message: string): PackProblem => ({ file: policy.file, field, code: 'POLICY_INVALID', message: `${policy.file} field "${field}": ${message}` });
  if (!action) return problem('resource_ref', `"${policy.resourceRef}" is not an action of this pack`);
  const attributes = 'attributes' in policy.parameters ? (policy.parameters.attributes ?? []) : [];
  const unknown = attributes.find((name) => !(name in action.parameters));
  return unknown === undefined ? undefined : problem('parameters.attributes', `"${unknown}" is not a parameter of ${action.ref}`);
}

function unknownKeyWarning(file: string, key: string): PackProblem {
  // Packrun once let pack.yaml name its interpreter; an untrusted pack must not choose what runs.
  if (file === 'pack.yaml' && key === 'python') {
    return { file, field: key, message: `${file}: "python" is ignored: a pack asks for a Python version with python_versions; the operator names an interpreter with PACKRUN_PACK_PYTHON`, code: 'UNKNOWN_KEY' };
  }
  return { file, field: key, message: `${file}: unknown key "${key}" is ignored`, code: 'UNKNOWN_KEY' };
}
