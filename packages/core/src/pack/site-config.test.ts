import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import type { KeyValueLookup } from '../template/datastore-snapshot.ts';
import { loadPack } from './load-pack.ts';
import { loadSiteConfig } from './site-config.ts';
import { minimalPackYaml, writePackFolder } from './test-pack-folder.ts';

const schemaYaml = `
region: {type: string, default: eu-west-1}
api_key: {type: string, secret: true, required: true}
port: {type: integer, default: 443}
mode: {type: string, enum: [fast, safe]}
hosts: {type: list, default: []}
auth:
  type: object
  properties:
    user: {type: string, required: true}
    password: {type: string, secret: true}
    retries: {type: integer, default: 3}
`;

/** Clear values for keys; `enc:` values are what a secret looks like without decrypt. */
const kv: KeyValueLookup = {
  async get(name, { decrypt }) {
    const stored: Record<string, string> = { token: 'enc:abc', port: '8443', user: 'svc', hosts: '["a", "b"]' };
    const value = stored[name];
    return value !== undefined && decrypt && value.startsWith('enc:') ? value.slice(4) : value;
  },
};

async function setup(configYaml: string | undefined) {
  const pack = await loadPack(await writePackFolder({ 'pack.yaml': minimalPackYaml, 'config.schema.yaml': schemaYaml }));
  const configsDir = await mkdtemp(path.join(tmpdir(), 'packrun-configs-'));
  if (configYaml !== undefined) await writeFile(path.join(configsDir, `${pack.ref}.yaml`), configYaml);
  return { pack, configsDir };
}

async function configError(configYaml: string): Promise<PackrunError> {
  try {
    await loadSiteConfig({ ...(await setup(configYaml)), kv });
  } catch (error) {
    if (error instanceof PackrunError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

describe('loadSiteConfig', () => {
  it('fills defaults (nested too), renders datastore templates with decryption for secrets and casts them', async () => {
    const config = await loadSiteConfig({
      ...(await setup('api_key: "{{ st2kv.system.token }}"\nport: "{{ st2kv.system.port }}"\nauth: {user: "{{ st2kv.system.user }}"}\nextra: kept\nhosts: "{{ st2kv.system.hosts }}"\n')),
      kv,
    });
    expect(config.values).toEqual({
      region: 'eu-west-1',
      api_key: 'abc',
      port: 8443,
      auth: { user: 'svc', retries: 3 },
      extra: 'kept',
      hosts: ['a', 'b'],
    });
    expect(config.secretValues).toEqual(['abc']);
    expect(config.masked).toMatchObject({ api_key: '********', auth: { user: 'svc' } });
    expect(config.exists).toBe(true);
  });

  it('finds secrets inside lists and nested objects, and masks them all', async () => {
    const pack = await loadPack(
      await writePackFolder({
        'pack.yaml': minimalPackYaml,
        'config.schema.yaml': [
          'servers:',
          '  type: array',
          '  items: {type: object, properties: {host: {type: string}, password: {type: string, secret: true}}}',
          'tokens: {type: array, items: {type: string, secret: true}}',
          'vault: {type: object, secret: true}',
        ].join('\n'),
      }),
    );
    const configsDir = await mkdtemp(path.join(tmpdir(), 'packrun-configs-'));
    await writeFile(
      path.join(configsDir, `${pack.ref}.yaml`),
      'servers: [{host: a, password: pw-a}, {host: b, password: pw-b}]\ntokens: [t-1, t-2]\nvault: {key: v-1, port: 8200}\n',
    );
    const config = await loadSiteConfig({ pack, configsDir });
    expect(config.secretValues.sort()).toEqual(['8200', 'pw-a', 'pw-b', 't-1', 't-2', 'v-1']);
    expect(config.masked).toEqual({
      servers: [{ host: 'a', password: '********' }, { host: 'b', password: '********' }],
      tokens: ['********', '********'],
      vault: '********',
    });
  });

  it('gives the defaults when there is no config file', async () => {
    const config = await loadSiteConfig(await setup(undefined));
    expect(config.exists).toBe(false);
    // As StackStorm's loader: an object whose schema has properties is created to hold their defaults.
    expect(config.values).toEqual({ region: 'eu-west-1', port: 443, hosts: [], auth: { retries: 3 } });
  });

  // The shape of stackstorm-consul's config.schema.yaml (a required list of profiles, each an
  // object whose properties mostly have defaults), written here in our own words.
  const profilesSchema = `
default_profile: {type: string, required: true}
consul_profiles:
  type: array
  required: true
  items:
    type: object
    required: true
    additionalProperties: false
    properties:
      name: {type: string, required: true}
      host: {type: string, required: true, default: 127.0.0.1}
      port: {type: integer, required: true, default: 8500}
      token: {type: string, secret: true, required: true, default: ""}
      scheme: {type: string, default: http}
      verify: {type: boolean, default: false}
      client_cert_path: {type: string}
      consistency: {type: string, enum: [default, consistent, stale], default: default}
tags:
  type: list
  items: [{type: string, default: first}, {type: object, properties: {colour: {type: string, default: red}}}]
  additionalItems: {type: object, properties: {size: {type: integer, default: 1}}}
labels:
  type: object
  patternProperties: {'^x-': {type: object, properties: {enabled: {type: boolean, default: true}}}}
  additionalProperties: {type: object, properties: {weight: {type: integer, default: 5}}}
`;

  it('fills defaults inside the items of lists and in pattern and additional properties, as StackStorm does', async () => {
    const pack = await loadPack(await writePackFolder({ 'pack.yaml': minimalPackYaml, 'config.schema.yaml': profilesSchema }));
    const configsDir = await mkdtemp(path.join(tmpdir(), 'packrun-configs-'));
    await writeFile(
      path.join(configsDir, `${pack.ref}.yaml`),
      [
        'default_profile: dc1',
        'consul_profiles:',
        '  - {name: dc1}',
        '  - {name: dc2, host: consul.example, port: 8501, token: "{{ st2kv.system.token }}", verify: true, scheme: null}',
        'tags: [mine, {}, {}, {size: 3}]',
        'labels: {x-one: {}, plain: {weight: 2}, other: {}}',
      ].join('\n'),
    );
    const config = await loadSiteConfig({ pack, configsDir, kv });
    expect(config.values['consul_profiles']).toEqual([
      { name: 'dc1', host: '127.0.0.1', port: 8500, token: '', scheme: 'http', verify: false, consistency: 'default' },
      { name: 'dc2', host: 'consul.example', port: 8501, token: 'abc', scheme: 'http', verify: true, consistency: 'default' },
    ]);
    expect(config.values['tags']).toEqual(['mine', { colour: 'red' }, { size: 1 }, { size: 3 }]);
    expect(config.values['labels']).toEqual({ 'x-one': { enabled: true }, plain: { weight: 2 }, other: { weight: 5 } });
    // The item's secret, rendered from the datastore inside the list, is masked like any other.
    expect(config.secretValues).toEqual(['abc']);
    expect((config.masked['consul_profiles'] as Array<Record<string, unknown>>)[1]?.['token']).toBe('********');
  });

  it('checks each list item against its schema after filling its defaults', async () => {
    const pack = await loadPack(await writePackFolder({ 'pack.yaml': minimalPackYaml, 'config.schema.yaml': profilesSchema }));
    const configsDir = await mkdtemp(path.join(tmpdir(), 'packrun-configs-'));
    await writeFile(path.join(configsDir, `${pack.ref}.yaml`), 'default_profile: dc1\nconsul_profiles: [{name: dc1}, {host: h}]\n');
    await expect(loadSiteConfig({ pack, configsDir })).rejects.toMatchObject({ code: 'PACK_CONFIG_INVALID', details: { attribute: 'consul_profiles.1.name' } });
    await writeFile(path.join(configsDir, `${pack.ref}.yaml`), 'default_profile: dc1\nconsul_profiles: [{name: dc1, port: "{{ st2kv.system.user }}"}]\n');
    await expect(loadSiteConfig({ pack, configsDir, kv })).rejects.toMatchObject({ details: { attribute: 'consul_profiles.0.port' }, message: expect.stringContaining('not of type integer') });
  });

  it.each([
    ['a missing required attribute', 'region: x\n', 'api_key', 'is required'],
    ['a missing nested required attribute', 'api_key: k\nauth: {password: p}\n', 'auth.user', 'is required'],
    ['a wrong type', 'api_key: k\nport: "many"\n', 'port', 'must be integer'],
    ['a value outside the enum', 'api_key: k\nmode: slow\n', 'mode', 'must be one of ["fast","safe"]'],
    ['a list that is not a list', 'api_key: k\nhosts: x\n', 'hosts', 'must be array'],
    ['a nested wrong type', 'api_key: k\nauth: {user: u, retries: [1]}\n', 'auth.retries', 'must be integer'],
    ['a template that renders to the wrong type', 'api_key: k\nport: "{{ st2kv.system.user }}"\n', 'port', 'not of type integer'],
    ['a broken template', 'api_key: "{{ st2kv.system.token | nosuch }}"\n', 'api_key', 'nosuch'],
  ])('reports %s naming configs/<ref>.yaml and the attribute', async (_label, yaml, attribute, message) => {
    const error = await configError(yaml);
    expect(error.code).toBe('PACK_CONFIG_INVALID');
    expect(error.message).toContain(`configs/test_pack.yaml attribute "${attribute}"`);
    expect(error.message).toContain(message);
    expect(error.details).toMatchObject({ attribute, pack: 'test_pack' });
  });

  it('reports a config that is not a mapping or not YAML', async () => {
    expect((await configError('- a\n')).message).toContain('must be a mapping');
    expect((await configError('a: [\n')).message).toContain('invalid YAML');
  });

  it('needs a datastore only when the config has templates', async () => {
    const { pack, configsDir } = await setup('api_key: "{{ st2kv.system.token }}"\n');
    await expect(loadSiteConfig({ pack, configsDir })).rejects.toMatchObject({ code: 'PACK_CONFIG_INVALID', details: { attribute: 'api_key' } });
    const plain = await setup('api_key: plain\n');
    expect((await loadSiteConfig(plain)).values['api_key']).toBe('plain');
  });
});
