import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import { readPackMeta } from './pack-meta.ts';
import { writePackFolder } from './test-pack-folder.ts';

async function metaError(packYaml: string | undefined, folderName?: string): Promise<PackrunError> {
  const dir = await writePackFolder(packYaml === undefined ? {} : { 'pack.yaml': packYaml }, folderName);
  try {
    await readPackMeta(dir);
  } catch (error) {
    if (error instanceof PackrunError) return error;
    throw error;
  }
  throw new Error('readPackMeta did not fail');
}

const base = { name: 'Test Pack', description: 'd', version: '0.1.0', author: 'me' };
const yamlOf = (fields: Record<string, unknown>): string =>
  Object.entries(fields)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');

describe('readPackMeta', () => {
  it('reads the fields, keeping dependencies, stackstorm_version and python_versions', async () => {
    const dir = await writePackFolder({
      'pack.yaml': yamlOf({
        ...base,
        ref: 'tp',
        email: 'me@example.com',
        keywords: ['a', 'b'],
        dependencies: ['core', 'aws=1.2.0', 'https://github.com/x/y.git'],
        stackstorm_version: '">=2.9.0, <4.0.0"',
        python_versions: [3],
        homepage: 'https://example.com',
      }),
    });
    const meta = await readPackMeta(dir);
    expect(meta).toMatchObject({
      ref: 'tp',
      name: 'Test Pack',
      version: '0.1.0',
      email: 'me@example.com',
      keywords: ['a', 'b'],
      dependencies: ['core', 'aws=1.2.0', 'https://github.com/x/y.git'],
      stackstormVersion: '>=2.9.0, <4.0.0',
      pythonVersions: ['3'],
      unknownKeys: ['homepage'],
    });
    expect(meta.raw['stackstorm_version']).toBe('>=2.9.0, <4.0.0');
  });

  it('takes the ref from the folder name, then from the name', async () => {
    expect((await readPackMeta(await writePackFolder({ 'pack.yaml': yamlOf(base) }, 'from_folder'))).ref).toBe('from_folder');
    const byName = await writePackFolder({ 'pack.yaml': yamlOf({ ...base, name: 'by_name' }) }, 'Not-A-Ref');
    expect((await readPackMeta(byName)).ref).toBe('by_name');
  });

  it('fails when neither the folder name nor the name is a valid ref', async () => {
    const error = await metaError(yamlOf({ ...base, name: 'Has Spaces' }), 'Bad-Folder');
    expect(error.code).toBe('PACK_REF_INVALID');
    expect(error.details).toMatchObject({ field: 'ref' });
  });

  it.each(['my.pack', '_global', 'UPPER', '../escape'])('refuses the explicit ref %j', async (ref) => {
    const error = await metaError(yamlOf({ ...base, ref: JSON.stringify(ref) }));
    expect(error.code).toBe('PACK_REF_INVALID');
    expect(error.message).toContain('pack.yaml field "ref"');
  });

  it.each([
    ['0.2', '"0.2" is not strict semver'],
    ['1', '"1" is not strict semver'],
    ['v1.0.0', 'is not strict semver'],
    ['01.0.0', 'is not strict semver'],
  ])('refuses version %s (YAML numbers stringified first)', async (version, message) => {
    const error = await metaError(yamlOf({ ...base, version }));
    expect(error.code).toBe('PACK_INVALID');
    expect(error.details).toMatchObject({ field: 'version' });
    expect(error.message).toContain(message);
  });

  it('accepts pre-release and build semver', async () => {
    const dir = await writePackFolder({ 'pack.yaml': yamlOf({ ...base, version: '1.0.0-rc.1+build.5' }) });
    expect((await readPackMeta(dir)).version).toBe('1.0.0-rc.1+build.5');
  });

  it.each(['name', 'description', 'version', 'author'])('requires %s', async (field) => {
    const fields: Record<string, unknown> = { ...base };
    delete fields[field];
    const error = await metaError(yamlOf(fields));
    expect(error.code).toBe('PACK_INVALID');
    expect(error.message).toContain(`field "${field}": is required`);
    expect(error.details).toMatchObject({ field, file: expect.stringContaining('pack.yaml') });
  });

  it('fails on a missing pack.yaml, broken YAML, a non-mapping and wrongly typed fields', async () => {
    expect((await metaError(undefined)).message).toContain('file not found');
    expect((await metaError('name: [unclosed')).message).toContain('invalid YAML');
    expect((await metaError('- a\n- b')).message).toContain('must be a mapping');
    expect((await metaError(yamlOf({ ...base, dependencies: 'core' }))).details).toMatchObject({ field: 'dependencies' });
    expect((await metaError(yamlOf({ ...base, keywords: [{ a: 1 }] }))).details).toMatchObject({ field: 'keywords.0' });
    expect((await metaError(yamlOf({ ...base, author: ['x'] }))).message).toContain('must be a string');
  });
});
