import path from 'node:path';
import { PackrunError } from '../errors.ts';
import { isValidPackRef, packRefProblem } from './pack-ref.ts';
import type { PackMeta } from './types.ts';
import { isPlainObject, readYamlFile } from './yaml-file.ts';

// `preload_imports` is a Packrun extension: modules the pack's zygote imports up front (docs/fast-spawn.md).
const knownKeys = new Set([
  'ref', 'name', 'description', 'version', 'author', 'email', 'keywords', 'contributors',
  'dependencies', 'stackstorm_version', 'python_versions', 'system', 'preload_imports',
]);

/** Strict semver 2.0.0 (the grammar from semver.org): three numeric parts, no leading `v`, no leading zeros. */
const strictSemver =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * Reads only `<dir>/pack.yaml`: what an installer needs (ref, version, dependencies) before it builds
 * anything. Any problem is fatal: PACK_INVALID naming the field, or PACK_REF_INVALID.
 */
export async function readPackMeta(dir: string): Promise<PackMeta> {
  const file = path.join(dir, 'pack.yaml');
  const read = await readYamlFile(file);
  if (!read.ok) {
    throw new PackrunError('PACK_INVALID', `${file}: ${read.message}`, {
      hint: read.reason === 'missing' ? 'a pack folder must contain pack.yaml' : 'fix pack.yaml',
      details: { file },
    });
  }
  return parsePackMeta(read.value, { file, folderName: path.basename(path.resolve(dir)) });
}

function parsePackMeta(value: unknown, where: { file: string; folderName: string }): PackMeta {
  const { file } = where;
  const fail = (field: string | undefined, message: string): never => {
    throw new PackrunError('PACK_INVALID', `${file}${field ? ` field "${field}"` : ''}: ${message}`, {
      hint: 'see docs on the pack format (pack.yaml)',
      details: { file, ...(field ? { field } : {}) },
    });
  };
  if (!isPlainObject(value)) return fail(undefined, 'must be a mapping of fields');

  const requiredString = (key: string): string => {
    const raw = value[key];
    if (raw === undefined || raw === null || raw === '') return fail(key, 'is required');
    if (typeof raw !== 'string') return fail(key, `must be a string, got ${typeOf(raw)}`);
    return raw;
  };
  const optionalString = (key: string): string | undefined => {
    const raw = value[key];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number') return String(raw);
    if (typeof raw !== 'string') return fail(key, `must be a string, got ${typeOf(raw)}`);
    return raw;
  };
  const stringList = (key: string): string[] => {
    const raw = value[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) return fail(key, `must be a list, got ${typeOf(raw)}`);
    return raw.map((item, index) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number') return String(item);
      return fail(`${key}.${index}`, `must be a string, got ${typeOf(item)}`);
    });
  };

  const name = requiredString('name');
  const description = requiredString('description');
  const author = requiredString('author');

  const rawVersion = value['version'];
  if (rawVersion === undefined || rawVersion === null || rawVersion === '') fail('version', 'is required');
  if (typeof rawVersion !== 'string' && typeof rawVersion !== 'number') fail('version', `must be a string, got ${typeOf(rawVersion)}`);
  const version = String(rawVersion);
  if (!strictSemver.test(version)) fail('version', `"${version}" is not strict semver (MAJOR.MINOR.PATCH, e.g. 0.2.5)`);

  const { ref, refFrom } = resolveRef(value, name, where.folderName, file);

  const system = value['system'];
  if (system !== undefined && system !== null && !isPlainObject(system)) fail('system', `must be a mapping, got ${typeOf(system)}`);

  const meta: PackMeta = {
    ref,
    refFrom,
    name,
    description,
    version,
    author,
    keywords: stringList('keywords'),
    contributors: stringList('contributors'),
    dependencies: stringList('dependencies'),
    pythonVersions: stringList('python_versions'),
    system: isPlainObject(system) ? system : {},
    unknownKeys: Object.keys(value).filter((key) => !knownKeys.has(key)),
    raw: value,
  };
  const email = optionalString('email');
  if (email !== undefined) meta.email = email;
  const stackstormVersion = optionalString('stackstorm_version');
  if (stackstormVersion !== undefined) meta.stackstormVersion = stackstormVersion;
  return meta;
}

/** An explicit `ref` must be valid; without one, the folder name and then `name` are tried, as StackStorm does. */
function resolveRef(value: Record<string, unknown>, name: string, folderName: string, file: string): Pick<PackMeta, 'ref' | 'refFrom'> {
  const explicit = value['ref'];
  if (explicit !== undefined && explicit !== null) {
    const problem = packRefProblem(typeof explicit === 'number' ? String(explicit) : explicit);
    if (problem !== undefined) {
      throw new PackrunError('PACK_REF_INVALID', `${file} field "ref": ${problem}`, {
        hint: 'a pack ref is lower-case letters, digits and underscores, e.g. "my_pack"',
        details: { file, field: 'ref' },
      });
    }
    return { ref: String(explicit), refFrom: 'ref' };
  }
  if (isValidPackRef(folderName)) return { ref: folderName, refFrom: 'folder' };
  if (isValidPackRef(name)) return { ref: name, refFrom: 'name' };
  throw new PackrunError(
    'PACK_REF_INVALID',
    `${file}: no "ref" field, and neither the folder name "${folderName}" nor the name "${name}" is a valid pack ref`,
    {
      hint: 'add `ref: <lower_case_name>` to pack.yaml (lower-case letters, digits and underscores)',
      details: { file, field: 'ref' },
    },
  );
}

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}
