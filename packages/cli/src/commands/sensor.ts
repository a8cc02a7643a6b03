import type { Command } from 'commander';
import { createLogger, createSandboxDecorator, dataPaths, detectSandbox, loadConfig, PackrunError } from '@packrun/core';
import type { St2SensorType } from '@packrun/sensor-container';
import { findApiUrl, requireApi } from '../api-client/connect.ts';
import { packCodeApiRoute } from './pack-code-api.ts';
import { openStoreBackends } from './service-backends.ts';
import { shutdownSignal } from './service-process.ts';
import { printJson } from '../output/json.ts';
import { printList, renderTable, statusCell, type Cell } from '../output/table.ts';

const enc = encodeURIComponent;

const sensorHeader = ['ref', 'state', 'status', 'next start'];

/** One sensor as a row of `sensor list` (and of enable/disable/restart, which show it after). */
function sensorRow(sensor: St2SensorType): Array<string | Cell> {
  return [sensor.ref, statusCell(sensor.enabled ? 'enabled' : 'disabled'), statusCell(sensor.status), sensor.next_start_at ?? ''];
}

function indented(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

function printSensor(sensor: St2SensorType, json: boolean): void {
  if (json) return printJson(sensor);
  const lines = [
    `ref: ${sensor.ref}`,
    `enabled: ${sensor.enabled}`,
    `status: ${sensor.status}`,
    ...(sensor.pid !== undefined ? [`pid: ${sensor.pid}`] : []),
    ...(sensor.started_at ? [`started: ${sensor.started_at}`] : []),
    `starts: ${sensor.starts ?? 0}, crashes in a row: ${sensor.consecutive_failures ?? 0}`,
    ...(sensor.next_start_at ? [`next start: ${sensor.next_start_at} (after ${sensor.backoff_ms} ms)`] : []),
    ...(sensor.last_error ? [`last error: ${sensor.last_error}`] : []),
    ...(sensor.last_error_stderr?.length ? ['last stderr lines before that error:', ...indented(sensor.last_error_stderr)] : []),
    `trigger types: ${sensor.trigger_types.join(', ') || '-'}`,
  ];
  // Between two crashes the current run's lines may be none yet; the failed run's are above.
  if (sensor.status === 'running' && sensor.stderr_tail?.length) lines.push('stderr lines of this run:', ...indented(sensor.stderr_tail));
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  const command = program.command('sensor').description('Sensors: long-running processes that fire triggers');

  command
    .command('list')
    .description('Sensors and their state')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<St2SensorType[]>('GET', '/api/v1/sensortypes?limit=-1');
      if (options.json) return printJson(data);
      printList(sensorHeader, data.map(sensorRow), 'no sensors');
    });

  command
    .command('get')
    .description('A sensor: its state, last error and last stderr lines')
    .argument('<ref>', 'the sensor ref (pack.name)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<St2SensorType>('GET', `/api/v1/sensortypes/${enc(ref)}`);
      printSensor(data, options.json === true);
    });

  for (const verb of ['enable', 'disable', 'restart'] as const) {
    command
      .command(verb)
      .description({ enable: 'Enable a sensor and start it', disable: 'Disable a sensor and stop it', restart: 'Restart a sensor\'s process' }[verb])
      .argument('<ref>', 'the sensor ref (pack.name)')
      .option('--json', 'print the sensor as JSON (st2 SensorType with its state)')
      .action(async (ref: string, options: { json?: boolean }) => {
        const client = await requireApi(loadConfig());
        const { data } =
          verb === 'restart'
            ? await client.request<St2SensorType>('POST', `/api/v1/sensortypes/${enc(ref)}/restart`)
            : await client.request<St2SensorType>('PUT', `/api/v1/sensortypes/${enc(ref)}`, { enabled: verb === 'enable' });
        if (options.json) printJson(data);
        else process.stdout.write(`${renderTable(sensorHeader, [sensorRow(data)])}\n`);
      });
  }

  program
    .command('sensor-container')
    .description('Run the sensor container alone (distributed deployment): sensors and timers dispatch to RabbitMQ')
    .action(async () => {
      const config = loadConfig();
      if (!config.rabbitmqUrl || !config.mongodbUrl) {
        throw new PackrunError('SERVICE_NEEDS_SHARED_BACKENDS', 'a separate sensor container needs PACKRUN_RABBITMQ_URL and PACKRUN_MONGODB_URL', {
          hint: 'point it at the broker and database the API uses, or run everything in one process with `packrun up`',
        });
      }
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      const host = await detectSandbox(config);
      const backends = await openStoreBackends(config, logger, host);
      // Loaded when the service starts: the rest of the CLI (its help included) never pays for it.
      const { startSensorContainer } = await import('@packrun/sensor-container');
      // Sensors of the packs in PACKRUN_ACTION_API_PACKS reach the API this deployment's others use.
      const packCodeApi = config.actionApiPacks.length > 0 ? await packCodeApiRoute(config, (await findApiUrl(config))?.url, logger) : undefined;
      const container = await startSensorContainer({
        ...sensorContainerSettings(config),
        store: backends.store,
        bus: backends.bus,
        keyValues: backends.keyValues,
        paths: dataPaths(config.home),
        config,
        logger,
        decorator: createSandboxDecorator({ host, config }),
        ...(packCodeApi ? { packCodeApi: Promise.resolve(packCodeApi) } : {}),
      });
      process.stdout.write(`sensor container running ${(await container.list()).filter((sensor) => sensor.status !== 'stopped').length} sensors\n`);
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping sensors\n`);
      await container.stop();
      await backends.close();
    });
}

/** The container's timing settings from the configuration. */
export function sensorContainerSettings(config: ReturnType<typeof loadConfig>) {
  return {
    backoff: {
      initialMs: config.sensorBackoffInitialSeconds * 1000,
      maxMs: config.sensorBackoffMaxSeconds * 1000,
      stableMs: config.sensorStableSeconds * 1000,
      failingAfter: config.sensorFailingAfter,
    },
    stopGraceMs: config.sensorStopGraceSeconds * 1000,
    refreshMs: config.sensorRefreshSeconds * 1000,
  };
}
