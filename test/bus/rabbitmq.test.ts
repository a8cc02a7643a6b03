import amqp from 'amqplib';
import { afterAll, describe } from 'vitest';
import { createRabbitMqBus, queueNames } from '@packrun/core';
import { busContract } from './bus-contract.ts';

// The machine's own broker; every test gets its own queue and exchange names, deleted afterwards.
const url = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const runPrefix = `packrun-test-${process.pid}-${Date.now().toString(36)}`;
const prefixes: string[] = [];

afterAll(async () => {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const prefix of prefixes) {
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
    await channel.deleteExchange(`${prefix}.events`);
  }
  await connection.close();
});

describe('RabbitMQ bus contract', () => {
  busContract(async () => {
    const prefix = `${runPrefix}-${prefixes.length}`;
    prefixes.push(prefix);
    const bus = createRabbitMqBus({ url, prefix });
    await bus.waitReady(10_000);
    return bus;
  });
});
