#!/usr/bin/env node
// Packrun's wrapper for Node sensors (contract: docs/sensors.md).
//
// Under Packrun the job arrives as a frame on fd 3 (the control channel: 4-byte big-endian length
// + UTF-8 JSON, names mirrored from packages/core/src/protocol/messages.ts); dispatches, datastore
// calls and errors go back the same way, and trigger changes and the stop request come in on it.
// By hand, with no control channel, the inputs come from flags and each dispatch is printed as a
// JSON line on stdout:
//   node sensor-wrapper.mjs --entry-point FILE [--class-name NAME] [--config JSON]
//                           [--poll-interval SECONDS] [--pack NAME] [--triggers JSON]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
// Shared with the action wrapper; packages/core/node is bound into the sandbox as this folder is.
import { boundedJson, ChannelMessage, datastoreCalls, errorMessage, openControlChannel } from '../../core/node/control-channel.mjs';
import { createLogger, resolveBareImportsFromNodePath } from '../../core/node/pack-code.mjs';
import { createBrokerPublisher } from './broker-publisher.mjs';

const MessageType = {
  ...ChannelMessage,
  triggerAdded: 'trigger_added',
  triggerUpdated: 'trigger_updated',
  triggerRemoved: 'trigger_removed',
  stop: 'stop',
  dispatch: 'dispatch',
};

/** By hand there is no runtime: dispatches are printed, keys live in memory for this run. */
function handChannel(job) {
  const keys = new Map();
  const key = (args) => `${args.scope}/${args.name}`;
  process.stderr.write('packrun: no control channel, running by hand; dispatches are printed, the datastore is in memory\n');
  return {
    job: Promise.resolve(job),
    send(message) {
      if (message.type === MessageType.dispatch) process.stdout.write(`${JSON.stringify({ trigger: message.trigger, payload: message.payload, trace_tag: message.trace_tag })}\n`);
      else if (message.type === MessageType.error) process.stderr.write(`${message.error.traceback || `${message.error.type}: ${message.error.message}`}\n`);
    },
    async request(op, args) {
      if (op === 'get') return keys.get(key(args)) ?? null;
      if (op === 'set') return keys.set(key(args), args.value) && true;
      if (op === 'delete') return keys.delete(key(args));
      return [...keys.entries()]
        .filter(([name]) => name.startsWith(`${args.scope}/${args.prefix ?? ''}`))
        .map(([name, value]) => ({ name: name.slice(args.scope.length + 1), value, scope: args.scope, secret: false, expire_timestamp: null }));
    },
    async end() {},
  };
}

function jobFromFlags(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'entry-point': { type: 'string' },
      'class-name': { type: 'string' },
      config: { type: 'string', default: '{}' },
      'poll-interval': { type: 'string' },
      pack: { type: 'string', default: 'local' },
      triggers: { type: 'string', default: '[]' },
    },
  });
  const entryPoint = path.resolve(values['entry-point']);
  const className = values['class-name'] ?? path.basename(entryPoint).replace(/\.[cm]?js$/, '');
  return {
    kind: 'sensor',
    pack: values.pack,
    sensor: `${values.pack}.${className}`,
    class_name: className,
    entry_point: entryPoint,
    pack_dir: path.dirname(path.dirname(entryPoint)),
    config: JSON.parse(values.config),
    poll_interval: values['poll-interval'] === undefined ? null : Number(values['poll-interval']),
    triggers: JSON.parse(values.triggers),
    log_level: 'debug',
  };
}

/** The sensor class: the export named like class_name, else the default export. */
function pickClass(mod, job) {
  const candidates = [mod[job.class_name], mod.default?.[job.class_name], mod.default];
  const found = candidates.find((candidate) => typeof candidate === 'function');
  if (!found) throw new TypeError(`${job.entry_point} exports no class "${job.class_name}" and no default class`);
  return found;
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

async function main() {
  const byHand = process.argv.includes('--entry-point');
  const stopping = new AbortController();
  let sensor;
  let ready;
  const whenReady = new Promise((resolve) => {
    ready = resolve;
  });
  const triggerHandlers = {
    [MessageType.triggerAdded]: 'addTrigger',
    [MessageType.triggerUpdated]: 'updateTrigger',
    [MessageType.triggerRemoved]: 'removeTrigger',
  };
  const onControl = (message) => {
    if (message.type === MessageType.stop) {
      stopping.abort();
      return;
    }
    const method = triggerHandlers[message.type];
    if (!method) return;
    // Trigger changes that arrive during setup() wait for it, as they would in StackStorm.
    void whenReady.then(() => sensor?.[method]?.(message.trigger)).catch((error) => logger.error(`${method} failed: ${error?.stack ?? error}`));
  };
  // The runtime going away means nobody can receive dispatches any more: stop like on a stop frame.
  const channel = byHand
    ? handChannel(jobFromFlags(process.argv.slice(2)))
    : openControlChannel({ onFrame: onControl, onClose: () => onControl({ type: MessageType.stop }) });
  if (byHand) {
    process.on('SIGINT', () => stopping.abort());
    process.on('SIGTERM', () => stopping.abort());
  }
  const job = await channel.job;
  const logger = createLogger(job.log_level ?? 'info', job.sensor);
  resolveBareImportsFromNodePath();

  // Distributed deployment: dispatches go to RabbitMQ with the pack's own identity.
  const publisher = job.broker ? createBrokerPublisher({ broker: job.broker, pack: job.pack, sensor: job.sensor, logger }) : undefined;
  const datastore = datastoreCalls(channel, `${job.pack}.${job.class_name}:`);
  let pollInterval = job.poll_interval ?? 5;
  const sensorService = {
    config: job.config,
    dispatch(trigger, payload = {}, traceTag = null) {
      // As in StackStorm: a trigger type ref, a bare name in this sensor's pack, or a trigger object.
      const target = typeof trigger === 'string' && !trigger.includes('.') ? `${job.pack}.${trigger}` : trigger;
      // Over the job's payload_limits this throws in the sensor's own code, naming the limit.
      boundedJson(payload ?? {}, job.payload_limits, { what: 'the payload', deepType: 'PayloadTooDeep', largeType: 'PayloadTooLarge', sizeSetting: 'PACKRUN_INPUT_MAX_BYTES' });
      const message = { type: MessageType.dispatch, trigger: target, payload: payload ?? {}, trace_tag: traceTag };
      if (publisher) publisher.publish(message);
      else channel.send(message);
    },
    getLogger: (name) => createLogger(job.log_level ?? 'info', name ?? job.sensor),
    getPollInterval: () => pollInterval,
    setPollInterval(seconds) {
      pollInterval = Number(seconds);
    },
    getValue: datastore.get,
    setValue: datastore.set,
    deleteValue: datastore.delete,
    listValues: datastore.list,
  };

  let exitCode = 0;
  try {
    const mod = await import(pathToFileURL(job.entry_point).href);
    const SensorClass = pickClass(mod, job);
    sensor = new SensorClass(sensorService, job.config);
    await sensor.setup?.();
    for (const trigger of job.triggers) await sensor.addTrigger?.(trigger);
    ready();
    if (typeof sensor.poll === 'function') {
      while (!stopping.signal.aborted) {
        await sensor.poll();
        await sleep(pollInterval * 1000, stopping.signal);
      }
    } else if (typeof sensor.run === 'function') {
      await Promise.race([sensor.run(), new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }))]);
    } else {
      throw new TypeError(`sensor class ${job.class_name} has neither run() nor poll()`);
    }
  } catch (error) {
    channel.send(errorMessage(error));
    exitCode = 1;
  }
  ready();
  try {
    await sensor?.cleanup?.();
  } catch (error) {
    logger.error(`cleanup failed: ${error?.stack ?? error}`);
  }
  // Less than the runtime's default stop grace (5 s), so the process still exits by itself.
  await publisher?.drain(3000);
  await channel.end();
  // Exit now: handles the sensor left open (timers, sockets) must not keep a stopped sensor alive.
  process.exit(exitCode);
}

await main();
