#!/usr/bin/env node
// Packrun's wrapper for node-script actions (contract: docs/node-actions.md).
//
// Under Packrun the job arrives as a frame on fd 3 (the control channel: 4-byte big-endian
// length + UTF-8 JSON, names mirrored from packages/core/src/protocol/messages.ts) and the
// result goes back the same way, so nothing the action prints can forge it.
// By hand, with no control channel, the inputs come from flags and the result is printed:
//   node action-wrapper.mjs --entry-point FILE [--parameters JSON] [--config JSON]
//                           [--pack NAME] [--action NAME] [--log-level LEVEL]
import net from 'node:net';
import path from 'node:path';
import { register } from 'node:module';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const MessageType = { job: 'job', datastoreReply: 'datastore_reply', result: 'result', error: 'error', datastore: 'datastore' };
const maxFrameBytes = 64 * 1024 * 1024;
const levels = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

class ActionFailure {
  constructor(result) {
    this.result = result;
  }
}

function encodeFrame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) throw new Error(`frame of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** The parent's side of the channel: frames in, frames out, datastore calls awaiting replies. */
function openControlChannel() {
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
      }
    }
  });
  socket.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('control channel closed'));
    pending.clear();
  });
  socket.on('error', () => {});
  return {
    job,
    request(op, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        socket.write(encodeFrame({ type: MessageType.datastore, id, op, args }));
      });
    },
    finish(message) {
      return new Promise((resolve) => socket.end(encodeFrame(message), resolve));
    },
  };
}

/** By hand there is no runtime to hold the datastore: keys live in memory for this one run. */
function memoryChannel(job) {
  const keys = new Map();
  const key = (args) => `${args.scope}/${args.name}`;
  process.stderr.write('packrun: no control channel, running by hand; the datastore is in memory for this run\n');
  return {
    job: Promise.resolve(job),
    async request(op, args) {
      if (op === 'get') return keys.get(key(args)) ?? null;
      if (op === 'set') return keys.set(key(args), args.value) && true;
      if (op === 'delete') return keys.delete(key(args));
      return [...keys.entries()]
        .filter(([name]) => name.startsWith(`${args.scope}/${args.prefix ?? ''}`))
        .map(([name, value]) => ({ name: name.slice(args.scope.length + 1), value, scope: args.scope, secret: false, expire_timestamp: null }));
    },
    async finish(message) {
      if (message.type === MessageType.result) process.stdout.write(`${JSON.stringify(message.result, null, 2)}\n`);
      else process.stderr.write(`${message.error.traceback ?? `${message.error.type}: ${message.error.message}`}\n`);
    },
  };
}

function jobFromFlags(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'entry-point': { type: 'string' },
      parameters: { type: 'string', default: '{}' },
      config: { type: 'string', default: '{}' },
      pack: { type: 'string', default: 'local' },
      action: { type: 'string' },
      'log-level': { type: 'string', default: 'debug' },
    },
  });
  const entryPoint = path.resolve(values['entry-point']);
  return {
    kind: 'action',
    execution_id: 'local',
    pack: values.pack,
    action: values.action ?? path.basename(entryPoint).replace(/\.[cm]?js$/, ''),
    entry_point: entryPoint,
    pack_dir: path.dirname(path.dirname(entryPoint)),
    parameters: JSON.parse(values.parameters),
    config: JSON.parse(values.config),
    log_level: values['log-level'],
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

function createDatastore(channel, job) {
  const localPrefix = `${job.pack}.${job.action}:`;
  const fullName = (name, local) => (local === false ? name : `${localPrefix}${name}`);
  return {
    get: (name, { local = true, scope = 'system', decrypt = false } = {}) =>
      channel.request('get', { name: fullName(name, local), scope, decrypt }),
    set: (name, value, { ttl = null, local = true, scope = 'system', encrypt = false } = {}) =>
      channel.request('set', { name: fullName(name, local), value: String(value), scope, ttl, encrypt }),
    delete: (name, { local = true, scope = 'system' } = {}) => channel.request('delete', { name: fullName(name, local), scope }),
    list: ({ local = true, prefix = null, scope = 'system', decrypt = false } = {}) =>
      channel.request('list', { prefix: local ? `${localPrefix}${prefix ?? ''}` : prefix, scope, decrypt }),
  };
}

function pickFunction(mod, file) {
  const candidates = [mod.default, mod.run, mod.default?.run, mod.default?.default];
  const found = candidates.find((candidate) => typeof candidate === 'function');
  if (!found) throw new TypeError(`${file} exports no function: export a default function or one named "run"`);
  return found;
}

/** A result that JSON cannot carry is sent as its string form, as the Python wrapper does. */
function resultMessage(value, success) {
  let result = value === undefined ? null : value;
  try {
    JSON.stringify(result);
  } catch {
    result = String(result);
  }
  return { type: MessageType.result, result, success };
}

function errorMessage(error) {
  if (error instanceof Error) return { type: MessageType.error, error: { type: error.name, message: error.message, traceback: error.stack ?? '' } };
  return { type: MessageType.error, error: { type: 'Error', message: String(error) } };
}

async function main() {
  const byHand = process.argv.includes('--entry-point');
  const channel = byHand ? memoryChannel(jobFromFlags(process.argv.slice(2))) : openControlChannel();
  const job = await channel.job;
  const nodeModules = process.env.NODE_PATH?.split(path.delimiter).find(Boolean);
  if (nodeModules) resolveBareImportsFrom(nodeModules);

  let message;
  try {
    const mod = await import(pathToFileURL(job.entry_point).href);
    const action = pickFunction(mod, job.entry_point);
    const context = {
      config: job.config,
      pack: job.pack,
      action: job.action,
      executionId: job.execution_id,
      logger: createLogger(job.log_level, `${job.pack}.${job.action}`),
      datastore: createDatastore(channel, job),
      fail: (result) => new ActionFailure(result),
    };
    const value = await action(job.parameters, context);
    message = value instanceof ActionFailure ? resultMessage(value.result, false) : resultMessage(value, true);
  } catch (error) {
    message = errorMessage(error);
  }
  try {
    await channel.finish(message);
  } catch (error) {
    await channel.finish(errorMessage(error));
    message = errorMessage(error);
  }
  // Exit now: handles the action left open (timers, keep-alive sockets) must not hold the job.
  process.exit(message.type === MessageType.result && message.success !== false ? 0 : 1);
}

await main();
