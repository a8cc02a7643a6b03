// bench/ is not a workspace package, so it reaches the packages by path.
import { createRequire } from 'node:module';
import path from 'node:path';
import { createLogger, loadConfig, openBus, openKeyValues, openStore, queueNames, type Bus, type St2Execution, type PackrunConfig, type SpawnDecorator } from '../../packages/core/src/index.ts';
import { startApiService, type ApiService } from '../../packages/api/src/index.ts';
import { processZygotePool, startActionRunnerService, type ActionRunnerService } from '../../packages/action-runner/src/index.ts';
import { startWorkflowEngine, type WorkflowEngine } from '../../packages/workflow-engine/src/index.ts';
import type { BenchHome } from './bench-home.ts';
import { jsonClient } from './http-client.ts';

// amqplib is a dependency of core, not of bench/ (no package): load core's copy, typed as far as used here.
interface AmqpForCleanup {
  connect(url: string): Promise<{
    createChannel(): Promise<{ deleteQueue(queue: string): Promise<unknown>; deleteExchange(exchange: string): Promise<unknown> }>;
    close(): Promise<void>;
  }>;
}
const amqp = createRequire(path.join(import.meta.dirname, '../../packages/core/package.json'))('amqplib') as AmqpForCleanup;

export const rabbitUrl = process.env['PACKRUN_BENCH_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface Deployment {
  config: PackrunConfig;
  bus: Bus;
  api: ApiService;
  runner: ActionRunnerService;
  /** The workflow engine, when asked for (`workflows: true`), as `packrun up` runs it. */
  workflows: WorkflowEngine | undefined;
  /** POST an execution and resolve with its stored record once it reached a final state. */
  execute(action: string, parameters: Record<string, unknown>): Promise<St2Execution>;
  /** POST an execution and resolve with its id (no waiting). */
  request(action: string, parameters: Record<string, unknown>): Promise<string>;
  fetchExecution(id: string): Promise<St2Execution>;
  /** The whole result document, however large: GET /executions/{id}/result (a large one is not in the record). */
  fetchResult(id: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const finalStatuses = new Set(['succeeded', 'failed', 'timeout', 'canceled', 'abandoned']);

/**
 * The services `packrun up` runs (API and action runner) in this process, on the embedded store,
 * with the in-process bus or RabbitMQ, requests over real HTTP on loopback. No sandbox decorator
 * unless one is given: warm spawning applies only without one (docs/fast-spawn.md).
 */
export async function startDeployment(home: BenchHome, options: { rabbit: boolean; warm: boolean; concurrency?: number; decorator?: SpawnDecorator; workflows?: boolean }): Promise<Deployment> {
  const prefix = `packrun-bench-${process.pid}-${Date.now().toString(36)}`;
  const config = loadConfig({
    ...home.env,
    PACKRUN_WARM_SPAWN: options.warm ? 'on' : 'off',
    PACKRUN_API_PORT: '0',
    PACKRUN_API_AUTH: 'false',
    PACKRUN_RUNNER_CONCURRENCY: String(options.concurrency ?? 4),
    ...(options.rabbit ? { PACKRUN_RABBITMQ_URL: rabbitUrl, PACKRUN_RABBITMQ_PREFIX: prefix } : {}),
  });
  const logger = createLogger({ level: 'error' });
  const store = await openStore(config, logger);
  const bus = openBus(config, logger);
  await bus.waitReady(10_000);
  const keyValues = openKeyValues(store, config);
  const api = await startApiService({ config, store, bus, keyValues, logger });
  const runner = await startActionRunnerService({
    config,
    paths: home.paths,
    bus,
    ledger: api.ledger,
    datastore: keyValues,
    logger,
    heartbeatMs: config.runnerHeartbeatSeconds * 1000,
    ...(options.decorator ? { decorator: options.decorator } : {}),
  });
  const workflows = options.workflows
    ? await startWorkflowEngine({ store, bus, logger, paths: home.paths, keyValues, executions: api.executions, openSecrets: api.openSecrets, resultInlineBytes: config.resultInlineBytes })
    : undefined;
  const waiters = new Map<string, () => void>();
  const done = new Set<string>();
  await bus.subscribe('execution-updates', async (event) => {
    if (!finalStatuses.has(event.status)) return;
    done.add(event.executionId);
    waiters.get(event.executionId)?.();
  });
  const client = jsonClient(api.url!);
  const request = async (action: string, parameters: Record<string, unknown>): Promise<string> => {
    const response = await client.request<{ id: string }>('POST', '/api/v1/executions', { action, parameters });
    if (response.status !== 201) throw new Error(`POST /executions: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id;
  };
  const fetchExecution = async (id: string): Promise<St2Execution> => {
    const response = await client.request<St2Execution>('GET', `/api/v1/executions/${id}`);
    if (response.status !== 200) throw new Error(`GET /executions/${id}: ${response.status}`);
    return response.body;
  };
  const fetchResult = async (id: string): Promise<Record<string, unknown>> => {
    const response = await client.request<Record<string, unknown>>('GET', `/api/v1/executions/${id}/result`);
    if (response.status !== 200) throw new Error(`GET /executions/${id}/result: ${response.status}`);
    return response.body;
  };
  const finished = (id: string): Promise<void> =>
    new Promise((resolve) => {
      if (done.has(id)) return resolve();
      waiters.set(id, resolve);
    });
  return {
    config,
    bus,
    api,
    runner,
    workflows,
    request,
    fetchExecution,
    fetchResult,
    async execute(action, parameters) {
      const id = await request(action, parameters);
      await finished(id);
      waiters.delete(id);
      done.delete(id);
      return fetchExecution(id);
    },
    async close() {
      client.close();
      await workflows?.stop();
      await runner.stop(5000);
      await api.close();
      if (options.rabbit) {
        const connection = await amqp.connect(rabbitUrl);
        const channel = await connection.createChannel();
        for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`).catch(() => undefined);
        await channel.deleteExchange(`${prefix}.events`).catch(() => undefined);
        await connection.close();
      }
      await bus.close();
      await store.close();
      await processZygotePool(config).close();
    },
  };
}
