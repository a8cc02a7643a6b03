import { rm } from 'node:fs/promises';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNames, type St2Execution } from '@packrun/core';
import { nx27017Skipped, startNx27017, type Nx27017 } from '../helpers/nx-27017.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { emitterOnlyPack, writePack } from '../sensors/sensor-fixtures.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * The distributed shape run whole: `packrun api`, `packrun rules-engine`, `packrun
 * sensor-container` and `packrun action-runner`, each its own process, on RabbitMQ (the machine's
 * broker) and a MongoDB wire-protocol server. No MongoDB server installs here, so the database is
 * nx-27017 (PyPI, on SQLite): a sensor's trigger goes through a rule to an action, and the
 * execution is seen through the API. Opt-in (PACKRUN_TEST_NX27017=1): it installs nx-27017 into
 * .tools/nx when it is missing.
 */
const skipped = nx27017Skipped();
if (skipped) console.log(`skipping the distributed shape against nx-27017: ${skipped}`);

const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `packrun-test-nx-${process.pid}-${Date.now().toString(36)}`;
const processes: PackrunProcess[] = [];
let nx: Nx27017 | undefined;
let home: PackrunHome;
let packDir: string;
let env: Record<string, string>;
let api: Awaited<ReturnType<typeof apiAt>>;

function start(args: string[], extra: Record<string, string>, ready: RegExp): Promise<PackrunProcess> {
  const service = startPackrun(args, { ...env, ...extra });
  processes.push(service);
  return service.waitForOutput(ready).then(() => service);
}

async function keyFor(user: string, role: string): Promise<string> {
  const created = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user, role, metadata: { description: `${user} of the nx-27017 test` } });
  expect(created.status).toBe(201);
  return created.body.key;
}

describe.skipIf(skipped !== undefined)('the distributed shape against nx-27017 (PACKRUN_TEST_NX27017=1)', () => {
  beforeAll(async () => {
    nx = await startNx27017();
    home = await homeWithPacks(['core']);
    packDir = await writePack(emitterOnlyPack('1.0.0'));
    env = {
      ...home.env,
      PACKRUN_MONGODB_URL: nx.url(`packrun_${process.pid}`),
      PACKRUN_RABBITMQ_URL: rabbitUrl,
      PACKRUN_RABBITMQ_PREFIX: prefix,
      PACKRUN_RUNNER_HEARTBEAT: '1',
      PACKRUN_SENSOR_REFRESH: '0.3',
      PACKRUN_LOG_LEVEL: 'warn',
      // The machine's broker takes guest, which a service accepts only where no job can reach it:
      // no warm zygote with network (docs/deployment.md, "Broker users"), and sensors dispatch over
      // their control channel rather than with a broker user of their own.
      PACKRUN_WARM_SPAWN: 'off',
      PACKRUN_SENSOR_BROKER_IDENTITY: 'off',
    };
    // Only the API is told its port; the other services on this PACKRUN_HOME find it in run/api.json.
    await start(['api'], { PACKRUN_API_PORT: String(await freePort()) }, /packrun api listening on (\S+)/);
    const listening = /packrun api listening on (\S+) \(store: (\w+)/.exec(processes[0]!.output())!;
    expect(listening[2]).toBe('mongodb');
    api = await apiAt(listening[1]!, home.home);
  });

  afterAll(async () => {
    for (const service of processes) service.signal('SIGTERM');
    await Promise.all(processes.map((service) => service.exited));
    await nx?.stop();
    const connection = await amqp.connect(rabbitUrl);
    const channel = await connection.createChannel();
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
    await channel.deleteExchange(`${prefix}.events`);
    await connection.close();
    for (const dir of [home?.home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs a sensor's trigger through a rule to an action whose execution the API shows", async () => {
    const install = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [packDir] });
    expect(install.status).toBe(202);
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${install.body.execution_id}`)).body.status === 'succeeded', {
      what: 'the sensor pack installed',
      withinMs: 60_000,
    });
    const rule = await api.call('POST', '/api/v1/rules', {
      name: 'third_tick',
      pack: 'nodesense',
      enabled: true,
      trigger: { type: 'nodesense.tick' },
      criteria: { 'trigger.n': { type: 'equals', pattern: 3 } },
      action: { ref: 'core.local', parameters: { cmd: 'echo tick {{ trigger.n }} of {{ trigger.version }}' } },
    });
    expect(rule.status).toBe(201);

    const runner = await start(['action-runner'], { PACKRUN_API_KEY: await keyFor('runner-1', 'runner') }, /action runner \S+ consuming/);
    expect(runner.output()).toMatch(/reporting to http:\/\/127\.0\.0\.1:\d+/);
    await start(['rules-engine'], { PACKRUN_API_KEY: await keyFor('rules', 'operator') }, /rules engine consuming trigger instances/);
    await start(['sensor-container'], {}, /sensor container running 1 sensors/);

    let executions: St2Execution[] = [];
    await retryUntil(
      async () => {
        executions = (await api.call<St2Execution[]>('GET', '/api/v1/executions?rule=nodesense.third_tick')).body;
        return executions.length > 0 && executions.every((execution) => execution.status === 'succeeded');
      },
      { what: 'the rule execution succeeded', withinMs: 60_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; executions ${JSON.stringify(executions)}\n${processes.map((service) => service.output()).join('\n')}`);
    });
    expect(executions).toHaveLength(1);
    const [execution] = executions;
    expect(execution).toMatchObject({ action: { ref: 'core.local' }, rule: { ref: 'nodesense.third_tick' }, result: { stdout: 'tick 3 of 1.0.0' } });
    const enforcements = (await api.call<Array<{ status: string; execution_id: string; trigger_instance_id: string }>>('GET', '/api/v1/ruleenforcements?rule_ref=nodesense.third_tick')).body;
    expect(enforcements.map((enforcement) => [enforcement.status, enforcement.execution_id])).toEqual([['succeeded', execution!.id]]);
    const instance = await api.call<{ payload: { n: number } }>('GET', `/api/v1/triggerinstances/${enforcements[0]!.trigger_instance_id}`);
    expect(instance.body.payload.n).toBe(3);
  });
});
