import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  buildChildEnv,
  payloadFrameBounds,
  launchJob,
  MessageType,
  pythonRuntime,
  sensorTokenScopeId,
  serveDatastoreRequest,
  type ActionApiAccess,
  type DataPaths,
  type DispatchMessage,
  type InstalledPack,
  type JobExit,
  type KeyValues,
  type Logger,
  type PackrunConfig,
  type ParentMessage,
  type SandboxLimits,
  type SensorBroker,
  type SensorJob,
  type SensorRecord,
  type SensorTrigger,
  type SpawnDecorator,
  type WireError,
} from '@packrun/core';
import { nodeBrokerClientDirs } from './broker-dispatch/node-client-dirs.ts';
import { nodeSensorWrapper } from './node-sensor-wrapper.ts';

/** One sensor's process: started through its pack's interpreter and the matching wrapper. */
interface SensorProcessSpec {
  sensor: SensorRecord;
  installed: InstalledPack;
  packConfig: Record<string, unknown>;
  triggers: SensorTrigger[];
  paths: DataPaths;
  config: PackrunConfig;
  keyValues: KeyValues;
  onDispatch: (message: DispatchMessage) => void;
  onStderrLine: (line: string) => void;
  decorator?: SpawnDecorator;
  /** Sandbox limits from the operator's policy and the pack's and sensor's `sandbox:` blocks. */
  limits?: SandboxLimits;
  /** The pack's own RabbitMQ identity (distributed deployment); only this pack's processes get it, in the job message. */
  broker?: SensorBroker;
  /** The broker's port on this host's loopback, forwarded into the sensor's network namespace with `broker`. */
  brokerHostPorts?: number[];
  /** StackStorm's API for a sensor of a pack in PACKRUN_ACTION_API_PACKS: ST2_API_URL, its token, and the API's port forwarded in. */
  api?: ActionApiAccess;
  logger: Logger;
}

export interface RunningSensorProcess {
  readonly pid: number;
  /**
   * The command line, as StackStorm's process_spawn trigger reports it: the interpreter, the
   * wrapper, and the sensor's pack-relative entry point and class (no data folder paths).
   */
  readonly cmd: string;
  /** Resolves when the process is gone, however it ended. */
  readonly exited: Promise<SensorExit>;
  /** Sends a frame; false when the process no longer listens. */
  send(message: ParentMessage): boolean;
  /** Stop frame (the sensor's cleanup runs), then SIGTERM/SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<SensorExit>;
}

export interface SensorExit extends JobExit {
  /** The error the wrapper reported before exiting (a failing setup or run, an import error). */
  wrapperError?: WireError;
}

const pythonSuffix = /\.py$/;
const nodeSuffix = /\.(m|c)?js$/;

/** Which runtime a sensor needs, from its entry point: Python modules or Node scripts. */
export function sensorRuntime(entryPoint: string): 'python' | 'node' | undefined {
  if (pythonSuffix.test(entryPoint)) return 'python';
  if (nodeSuffix.test(entryPoint)) return 'node';
  return undefined;
}

export async function startSensorProcess(spec: SensorProcessSpec): Promise<RunningSensorProcess> {
  const { sensor, installed, config } = spec;
  const runtime = sensorRuntime(sensor.entryPoint);
  const jobId = sensorTokenScopeId(sensor.ref);
  const jobDir = path.join(spec.paths.jobs, jobId);
  await rm(jobDir, { recursive: true, force: true });
  await mkdir(jobDir, { recursive: true, mode: 0o700 });

  const python = installed.env.kind === 'python' && installed.env.python ? installed.env.python : config.python;
  const nodeModules = installed.env.kind === 'node' ? installed.env.nodeModules : undefined;
  const command = runtime === 'node' ? config.node : python;
  const args = runtime === 'node' ? [nodeSensorWrapper] : ['-I', pythonRuntime.sensorWrapper];
  const pathPrefix = runtime === 'python' && installed.env.python ? [path.dirname(installed.env.python)] : [];

  const job: SensorJob = {
    kind: 'sensor',
    pack: sensor.pack,
    sensor: sensor.ref,
    class_name: sensor.name,
    entry_point: path.join(installed.dir, 'sensors', sensor.entryPoint),
    pack_dir: installed.dir,
    config: spec.packConfig,
    poll_interval: sensor.pollInterval ?? null,
    triggers: spec.triggers,
    log_level: 'info',
    payload_limits: { max_bytes: config.inputMaxBytes, max_depth: config.jsonMaxDepth },
    ...(spec.broker ? { broker: spec.broker } : {}),
  };

  const hostPorts = [...(spec.broker ? (spec.brokerHostPorts ?? []) : []), ...(spec.api?.hostPorts ?? [])];

  let send: (message: ParentMessage) => boolean = () => false;
  let started: (pid: number) => void = () => undefined;
  const pidKnown = new Promise<number | undefined>((resolve) => {
    started = resolve;
  });
  let wrapperError: WireError | undefined;
  const abort = new AbortController();
  const stderrLines = lineSplitter(spec.onStderrLine);
  const childLog = spec.logger.child({ sensor: sensor.ref });

  const launched = launchJob({
    command,
    args,
    cwd: jobDir,
    env: buildChildEnv({
      jobDir,
      pack: sensor.pack,
      executionId: jobId,
      pathPrefix,
      extra: { ...spec.api?.variables, ST2_SENSOR_REF: sensor.ref, PACKRUN_SENSOR: sensor.ref, ...(nodeModules ? { NODE_PATH: nodeModules } : {}) },
    }),
    context: {
      kind: 'sensor',
      pack: sensor.pack,
      packDir: installed.dir,
      ...(installed.env.path ? { envDir: installed.env.path } : {}),
      jobDir,
      executionId: jobId,
      ...(spec.limits ? { limits: spec.limits } : {}),
      ...(runtime === 'node' && spec.broker ? { readOnlyDirs: nodeBrokerClientDirs() } : {}),
      ...(hostPorts.length > 0 ? { hostPorts } : {}),
    },
    killGraceMs: config.killGraceSeconds * 1000,
    // Output is streamed line by line to the log and the last lines are kept by the supervisor;
    // the launcher's own copy only needs to stay small for a process that runs for days.
    outputCapBytes: 64 * 1024,
    controlChannel: true,
    frameBounds: payloadFrameBounds(config),
    initialMessages: [{ type: MessageType.job, job }],
    onStarted: (sender, startedPid) => {
      send = sender;
      started(startedPid);
    },
    onMessage: (message, reply) => {
      switch (message.type) {
        case MessageType.dispatch:
          spec.onDispatch(message);
          return;
        case MessageType.datastore:
          void serveDatastoreRequest(spec.keyValues, message, {
            access: { pack: sensor.pack, mayWriteSystem: config.datastoreSystemWriters.includes(sensor.pack) },
          }).then(reply);
          return;
        case MessageType.error:
          wrapperError = message.error;
          return;
        case MessageType.result:
          return;
      }
    },
    onOutput: (stream, chunk) => {
      if (stream === 'stderr') stderrLines.push(chunk);
      else childLog.info({ stream }, chunk.toString('utf8').trimEnd());
    },
    signal: abort.signal,
    ...(spec.decorator ? { decorator: spec.decorator } : {}),
    logger: spec.logger,
  });
  const exited: Promise<SensorExit> = launched.then((exit) => {
    stderrLines.flush();
    return { ...exit, ...(wrapperError ? { wrapperError } : {}) };
  });

  // A process that cannot be spawned rejects `launched` before it has a pid; the race rethrows that
  // to the caller as a failed start, so the rejection of `exited` itself is already handled.
  exited.catch(() => undefined);
  const pid = await Promise.race([pidKnown, launched.then(() => undefined)]);
  if (pid === undefined) throw new Error('the sensor process ended before it started');

  return {
    pid,
    cmd: [command, ...args, `--pack=${sensor.pack}`, `--file-path=sensors/${sensor.entryPoint}`, `--class-name=${sensor.name}`].join(' '),
    exited,
    send: (message) => send(message),
    async stop(graceMs) {
      send({ type: MessageType.stop });
      const timer = setTimeout(() => abort.abort(), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Splits a byte stream into lines (UTF-8 safe across chunks). */
function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let rest = '';
  const decoder = new TextDecoder();
  return {
    push(chunk) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      // A line with no end in sight is passed on in pieces rather than held without bound.
      if (rest.length > 8192) {
        lines.push(rest);
        rest = '';
      }
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    flush() {
      rest += decoder.decode();
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}
