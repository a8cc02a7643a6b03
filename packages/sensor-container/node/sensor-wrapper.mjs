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
import net from 'node:net';
import path from 'node:path';
import { register } from 'node:module';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createBrokerPublisher } from './broker-publisher.mjs';

const MessageType = {
  job: 'job',
  datastoreReply: 'datastore_reply',
  triggerAdded: 'trigger_added',
  triggerUpdated: 'trigger_updated',
  triggerRemoved: 'trigger_removed',
  stop: 'stop',
  error: 'error',
  datastore: 'datastore',
  dispatch: 'dispatch',
};
const maxFrameBytes = 64 * 1024 * 1024;
const levels = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

function encodeFrame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) throw new Error(`frame of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** The runtime's side: frames in (job, trigger changes, stop, datastore replies), frames out. */
function openControlChannel(onControl) {
  const socket = new net.Socket({ fd: 3, readable: true, writable: true });
  const pending = new Map();
  let nextId = 1;
  let buffer = Buffer.alloc(0);
  let onJob;
  const job = new Promise((resolve, reject) => {
    onJob = resolve;
    socket.once('close', () => reject(new Error('control channel closed before the job arrived')));
  });
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > maxFrameBytes) throw new Error('oversize frame from the runtime');
      if (buffer.length < 4 + length) break;
      const message = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
      buffer = buffer.subarray(4 + length);
      if (message.type === MessageType.job) onJob(message.job);
      else if (message.type === MessageType.datastoreReply) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (!waiter) continue;
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(Object.assign(new Error(message.error?.message ?? 'datastore error'), { name: message.error?.type ?? 'Error' }));
      } else onControl(message);
    }
  });
  // The runtime going away means nobody can receive dispatches any more: stop like on a stop frame.
  socket.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('control channel closed'));
    pending.clear();
    onControl({ type: MessageType.stop });
  });
  socket.on('error', () => {});
  return {
    job,
    send(message) {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    },
    request(op, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        socket.write(encodeFrame({ type: MessageType.datastore, id, op, args }));
      });
    },
    flush() {
      return new Promise((resolve) => socket.end(resolve));
    },
  };
}

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
    async flush() {},
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

/** ES module imports ignore NODE_PATH; this makes bare imports fall back to the pack's node_modules. */
function resolveBareImportsFrom(nodeModules) {
  const parentURL = pathToFileURL(path.join(path.dirname(nodeModules), 'packrun-resolve-base.mjs')).href;
  const hooks = `
    let parentURL;
    export function initialize(data) { parentURL = data.parentURL; }
    export async function resolve(specifier, context, next) {
      try {
        return await next(specifier, context);
      } catch (error) {
        const bare = !/^(\\.|\\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
        if (!bare || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
        return next(specifier, { ...context, parentURL });
      }
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { parentURL } });
}

function createLogger(level, name) {
  const threshold = levels[level] ?? levels.info;
  const write = (label) => (...items) => {
    if (levels[label] < threshold) return;
    const text = items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(' ');
    process.stderr.write(`${new Date().toISOString()} ${label.toUpperCase()} ${name}: ${text}\n`);
  };
  return { debug: write('debug'), info: write('info'), warning: write('warning'), warn: write('warning'), error: write('error'), critical: write('critical') };
}

/** The sensor class: the export named like class_name, else the default export. */
function pickClass(mod, job) {
  const candidates = [mod[job.class_name], mod.default?.[job.class_name], mod.default];
  const found = candidates.find((candidate) => typeof candidate === 'function');
  if (!found) throw new TypeError(`${job.entry_point} exports no class "${job.class_name}" and no default class`);
  return found;
}

function errorMessage(error) {
  if (error instanceof Error) return { type: MessageType.error, error: { type: error.name, message: error.message, traceback: error.stack ?? '' } };
  return { type: MessageType.error, error: { type: 'Error', message: String(error) } };
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
  const channel = byHand ? handChannel(jobFromFlags(process.argv.slice(2))) : openControlChannel(onControl);
  if (byHand) {
    process.on('SIGINT', () => stopping.abort());
    process.on('SIGTERM', () => stopping.abort());
  }
  const job = await channel.job;
  const logger = createLogger(job.log_level ?? 'info', job.sensor);
  const nodeModules = process.env.NODE_PATH?.split(path.delimiter).find(Boolean);
  if (nodeModules) resolveBareImportsFrom(nodeModules);

  // Distributed deployment: dispatches go to RabbitMQ with the pack's own identity.
  const publisher = job.broker ? createBrokerPublisher({ broker: job.broker, pack: job.pack, sensor: job.sensor, logger }) : undefined;
  const localPrefix = `${job.pack}.${job.class_name}:`;
  const fullName = (name, local) => (local === false ? name : `${localPrefix}${name}`);
  let pollInterval = job.poll_interval ?? 5;
  const sensorService = {
    config: job.config,
    dispatch(trigger, payload = {}, traceTag = null) {
      // As in StackStorm: a trigger type ref, a bare name in this sensor's pack, or a trigger object.
      const target = typeof trigger === 'string' && !trigger.includes('.') ? `${job.pack}.${trigger}` : trigger;
      const message = { type: MessageType.dispatch, trigger: target, payload: payload ?? {}, trace_tag: traceTag };
      if (publisher) publisher.publish(message);
      else channel.send(message);
    },
    getLogger: (name) => createLogger(job.log_level ?? 'info', name ?? job.sensor),
    getPollInterval: () => pollInterval,
    setPollInterval(seconds) {
      pollInterval = Number(seconds);
    },
    getValue: (name, { local = true, scope = 'system', decrypt = false } = {}) =>
      channel.request('get', { name: fullName(name, local), scope, decrypt }),
    setValue: (name, value, { ttl = null, local = true, scope = 'system', encrypt = false } = {}) =>
      channel.request('set', { name: fullName(name, local), value: String(value), scope, ttl, encrypt }),
    deleteValue: (name, { local = true, scope = 'system' } = {}) => channel.request('delete', { name: fullName(name, local), scope }),
    listValues: ({ local = true, prefix = null, scope = 'system', decrypt = false } = {}) =>
      channel.request('list', { prefix: local ? `${localPrefix}${prefix ?? ''}` : prefix, scope, decrypt }),
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
  await channel.flush();
  // Exit now: handles the sensor left open (timers, sockets) must not keep a stopped sensor alive.
  process.exit(exitCode);
}

await main();
