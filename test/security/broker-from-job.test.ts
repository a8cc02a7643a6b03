import { execFileSync } from 'node:child_process';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { repoRoot, sandboxFixture, type SandboxFixture } from '../sandbox/sandbox-fixture.ts';

/**
 * Issue 12's attack: a job with network (the default) logs in to the machine's RabbitMQ as guest
 * on 127.0.0.1 and publishes a forged message, as it could into the queue of trigger instances
 * the rules engine acts on. Here it aims at a queue of this test's own. Before the network layer
 * the job shared the host's network namespace and the message arrived; now the job's namespace has
 * no way to the host's loopback. Played by a Python action started cold and by one forked from its
 * pack's warm zygote (which runs in a network namespace of its own, shared by its children).
 */
const brokerUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const queue = `packrun-security-forged-${process.pid}`;
const pythonTag = execFileSync('python3', ['-c', 'import sys; print("py%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
const pika = path.join(repoRoot, 'packages', 'core', 'python', 'packrun-libs', 'site', pythonTag);

let fixture: SandboxFixture;
let connection: amqp.ChannelModel;
let channel: amqp.Channel;
let skipReason: string | undefined;

beforeAll(async () => {
  connection = await amqp.connect(brokerUrl);
  channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: false, autoDelete: false });
  fixture = await sandboxFixture({});
  const inactive = fixture.host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) skipReason = `not every sandbox layer is active here (${inactive.join('; ')})`;
}, 600_000);

afterAll(async () => {
  await channel?.deleteQueue(queue).catch(() => undefined);
  await connection?.close().catch(() => undefined);
  if (fixture) {
    await processZygotePool(fixture.config).close();
    await processPrespawnPool(fixture.config).close();
  }
});

describe.runIf(process.getuid?.() === 0)('a job with network against the broker on the host loopback', () => {
  it.for([
    ['started cold', false],
    ['forked from a warm zygote', true],
  ] as const)('cannot log in as guest and publish a forged message (%s)', async ([, warmSpawn], context) => {
    if (skipReason) return context.skip(skipReason);
    const outcome = await fixture.run('hostile.attack_network', { case: 'amqp_publish', paths: [pika, brokerUrl, queue] }, { warmSpawn });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    const attempt = outcome.result['result'] as { ok: boolean; error?: string };
    expect(attempt.ok, JSON.stringify(attempt)).toBe(false);
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });
});
