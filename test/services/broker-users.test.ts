import { spawnSync } from 'node:child_process';
import amqp from 'amqplib';
import { createRabbitMqBus, newId, type Bus, type ExecutionUpdateEvent, type TriggerInstanceMessage } from '@packrun/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitNodeUnavailable, startRabbitNode, type RabbitNode } from '../helpers/rabbitmq-node.ts';
import { retryUntil } from '../helpers/retry-until.ts';

/**
 * docs/deployment.md, "Broker users": one RabbitMQ user per service with the least permissions it
 * needs. Each user below gets exactly the permissions that page gives it (prefix `perm` instead of
 * `packrun`), on a private node; each service's own operations then succeed with it, and what the
 * service never does is refused by the broker.
 */
const unavailable = rabbitNodeUnavailable();
if (unavailable !== undefined) console.log(`skipping the broker users test: ${unavailable}`);

const prefix = 'perm';
const P = 'perm';
const permissions: Record<'api' | 'runner' | 'rules' | 'sensors' | 'workflows', [configure: string, write: string, read: string]> = {
  api: [`^(${P}\\.(executions|trigger-instances|events|workflows)|amq\\.gen-.*)$`, `^(amq\\.default|${P}\\.events|amq\\.gen-.*)$`, `^(${P}\\.events|amq\\.gen-.*)$`],
  runner: [`^(${P}\\.(executions|trigger-instances|events|workflows)|amq\\.gen-.*)$`, `^(${P}\\.events|amq\\.gen-.*)$`, `^(${P}\\.(executions|events)|amq\\.gen-.*)$`],
  rules: [`^${P}\\.(executions|trigger-instances|events|workflows)$`, '^$', `^${P}\\.trigger-instances$`],
  sensors: [`^${P}\\.(executions|trigger-instances|events|workflows|trigger-dispatch)$`, `^(amq\\.default|${P}\\.trigger-dispatch)$`, `^${P}\\.trigger-dispatch$`],
  workflows: [`^${P}\\.(executions|trigger-instances|events|workflows)$`, `^(amq\\.default|${P}\\.events)$`, `^${P}\\.workflows$`],
};

describe.skipIf(unavailable !== undefined)('one broker user per service, with the permissions docs/deployment.md gives it (private node)', () => {
  let node: RabbitNode;
  const urls: Record<string, string> = {};
  const buses: Bus[] = [];

  const bus = async (service: keyof typeof permissions): Promise<Bus> => {
    const opened = createRabbitMqBus({ url: urls[service]!, prefix, enqueueTimeoutMs: 10_000 });
    buses.push(opened);
    await opened.waitReady(20_000);
    return opened;
  };

  /** The broker's reply code when it refuses `what` (closing the channel), else undefined. */
  const refused = async (service: keyof typeof permissions, what: (channel: amqp.ConfirmChannel) => Promise<unknown>): Promise<number | undefined> => {
    const connection = await amqp.connect(urls[service]!);
    try {
      const channel = await connection.createConfirmChannel();
      let code: number | undefined;
      channel.on('error', (error: { code?: number }) => (code = error.code));
      try {
        await what(channel);
        await channel.close();
      } catch (error) {
        code ??= (error as { code?: number }).code;
        await retryUntil(() => code !== undefined, { what: 'the reply code of the refusal' });
      }
      return code;
    } finally {
      await connection.close().catch(() => undefined);
    }
  };

  const sendTo = (queue: string) => (channel: amqp.ConfirmChannel) =>
    new Promise<void>((resolve, reject) => channel.sendToQueue(queue, Buffer.from('{}'), { persistent: true }, (error) => (error ? reject(error) : resolve())));

  beforeAll(async () => {
    node = await startRabbitNode({ hardened: true });
    for (const [service, [configure, write, read]] of Object.entries(permissions)) {
      const password = `pw-${service}-${Math.random().toString(36).slice(2, 10)}`;
      for (const args of [
        ['add_user', `packrun-${service}`, password],
        ['set_permissions', '-p', '/', `packrun-${service}`, configure, write, read],
      ]) {
        const result = spawnSync(node.ctl, args, { encoding: 'utf8', timeout: 60_000 });
        if (result.status !== 0) throw new Error(`rabbitmqctl ${args[0]}: ${result.stderr}`);
      }
      urls[service] = `amqp://packrun-${service}:${password}@127.0.0.1:${node.port}`;
    }
  }, 120_000);

  afterAll(async () => {
    for (const opened of buses) await opened.close().catch(() => undefined);
    await node?.dispose();
  });

  it("lets each service do its own part: queue executions and triggers, take them, fan out events", async () => {
    const [api, runner, rules, sensors, workflows] = [await bus('api'), await bus('runner'), await bus('rules'), await bus('sensors'), await bus('workflows')];
    const wakes: string[] = [];
    await workflows.consume('workflows', async (message) => void wakes.push(message.workflowId), { prefetch: 4 });
    const executions: string[] = [];
    const triggers: string[] = [];
    const updates: ExecutionUpdateEvent[] = [];
    const cancels: string[] = [];
    await runner.consume('executions', async (message) => void executions.push(message.executionId), { prefetch: 4 });
    await rules.consume('trigger-instances', async (message) => void triggers.push(message.id), { prefetch: 4 });
    await api.subscribe('execution-updates', (event) => void updates.push(event));
    await runner.subscribe('execution-cancel', (event) => void cancels.push(event.executionId));
    const executionId = newId();
    await api.enqueue('executions', { executionId, action: 'core.noop', parameters: {}, context: {} });
    const instance = (id: string): TriggerInstanceMessage => ({ id, trigger: 'core.st2.webhook', payload: {}, occurredAt: new Date().toISOString() });
    await api.enqueue('trigger-instances', instance('from-api'));
    await sensors.enqueue('trigger-instances', instance('from-sensors'));
    await runner.publish('execution-updates', { executionId, status: 'running', at: new Date().toISOString() });
    await api.publish('execution-cancel', { executionId, requestedBy: 'test', at: new Date().toISOString() });
    // The API wakes an engine for a workflow; an engine wakes one for a parent workflow and tells of its changes.
    await api.enqueue('workflows', { workflowId: 'from-api', reason: 'requested' });
    await workflows.enqueue('workflows', { workflowId: 'from-engine', reason: 'child-ended' });
    await workflows.publish('execution-updates', { executionId, status: 'succeeded', at: new Date().toISOString() });
    await retryUntil(() => executions.includes(executionId) && triggers.length === 2 && updates.length === 2 && cancels.includes(executionId) && wakes.length === 2, {
      what: 'every message at its service',
    });
    // The sensor container's dispatch intake: its exchange, its queue, the binding, consuming.
    expect(
      await refused('sensors', async (channel) => {
        await channel.assertExchange(`${prefix}.trigger-dispatch`, 'topic', { durable: true });
        await channel.assertQueue(`${prefix}.trigger-dispatch`, { durable: true });
        await channel.bindQueue(`${prefix}.trigger-dispatch`, `${prefix}.trigger-dispatch`, '#');
        await channel.consume(`${prefix}.trigger-dispatch`, () => undefined);
      }),
    ).toBeUndefined();
  });

  it('refuses each service what it never does', async () => {
    // A runner queues no execution and reads no trigger; the rules engine reads no execution
    // request (their parameters) and writes nothing; the sensor container reads neither queue.
    expect(await refused('runner', sendTo(`${prefix}.executions`))).toBe(403);
    expect(await refused('runner', (channel) => channel.consume(`${prefix}.trigger-instances`, () => undefined))).toBe(403);
    expect(await refused('rules', (channel) => channel.consume(`${prefix}.executions`, () => undefined))).toBe(403);
    expect(await refused('rules', sendTo(`${prefix}.executions`))).toBe(403);
    expect(await refused('sensors', (channel) => channel.consume(`${prefix}.executions`, () => undefined))).toBe(403);
    expect(await refused('sensors', (channel) => channel.consume(`${prefix}.trigger-instances`, () => undefined))).toBe(403);
    expect(await refused('api', (channel) => channel.consume(`${prefix}.executions`, () => undefined))).toBe(403);
    // A workflow engine reads no execution request and no trigger.
    expect(await refused('workflows', (channel) => channel.consume(`${prefix}.executions`, () => undefined))).toBe(403);
    expect(await refused('workflows', (channel) => channel.consume(`${prefix}.trigger-instances`, () => undefined))).toBe(403);
    // Nobody but an administrator declares anything outside Packrun's names.
    for (const service of ['api', 'runner', 'rules', 'sensors', 'workflows'] as const) expect(await refused(service, (channel) => channel.assertQueue('elsewhere'))).toBe(403);
  });
});
