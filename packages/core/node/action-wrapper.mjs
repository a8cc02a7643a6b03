#!/usr/bin/env node
// Packrun's wrapper for node-script actions (contract: docs/node-actions.md).
//
// Under Packrun the job arrives as a frame on fd 3 (the control channel: 4-byte big-endian
// length + UTF-8 JSON, names mirrored from packages/core/src/protocol/messages.ts) and the
// result goes back the same way, so nothing the action prints can forge it.
// By hand (no fd 3, or --manual) the inputs come from flags, as for the Python wrapper, and the
// last stdout line is {"status", "result", "success"[, "error"]}; exit 0 only on success:
//   node action-wrapper.mjs --entry-point FILE [--parameters JSON|@file] [--config JSON|@file]
//     [--pack-dir DIR] [--pack NAME] [--action NAME] [--datastore FILE] [--log-level LEVEL]
//     [--execution-id ID] [--manual]
import { existsSync, fstatSync, readFileSync, writeFileSync } from 'node:fs';
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

function applySetup(setup) {
  process.chdir(setup.cwd);
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, setup.env);
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
      if (message.type === MessageType.job) {
        // A pre-spawned wrapper (docs/fast-spawn.md) learns its job folder and environment with
        // its job, before any of the action's code is imported.
        if (message.setup) applySetup(message.setup);
        onJob(message.job);
      }
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

/**
 * By hand there is no runtime to hold the datastore: keys live in memory, or in the JSON file
 * given with --datastore ({"system": {name: value}, "user": {name: value}}, as the Python wrapper
 * uses). TTLs and encryption are accepted but not applied: it is a debugging aid, not a store.
 */
function manualChannel(job, datastoreFile) {
  const load = () => {
    const data = datastoreFile && existsSync(datastoreFile) ? JSON.parse(readFileSync(datastoreFile, 'utf8')) : memory;
    data.system ??= {};
    data.user ??= {};
    return data;
  };
  const save = (data) => {
    if (datastoreFile) writeFileSync(datastoreFile, `${JSON.stringify(data, null, 2)}\n`);
    else memory = data;
  };
  let memory = { system: {}, user: {} };
  return {
    job: Promise.resolve(job),
    async request(op, args) {
      const data = load();
      const keys = data[args.scope];
      if (op === 'get') return keys[args.name] ?? null;
      if (op === 'set') keys[args.name] = args.value;
      if (op === 'delete') {
        const existed = args.name in keys;
        delete keys[args.name];
        save(data);
        return existed;
      }
      if (op === 'list') {
        return Object.entries(keys)
          .filter(([name]) => name.startsWith(args.prefix ?? ''))
          .map(([name, value]) => ({ name, value, scope: args.scope, secret: false, expire_timestamp: null }));
      }
      save(data);
      return true;
    },
    async finish(message) {
      const succeeded = message.type === MessageType.result && message.success !== false;
      const document = { status: succeeded ? 'succeeded' : 'failed', result: message.result ?? null, success: message.success ?? null };
      if (message.type === MessageType.error) {
        document.error = message.error;
        process.stderr.write(`${message.error.traceback || `${message.error.type}: ${message.error.message}`}\n`);
      }
      // One line, last on stdout, so tools can take the last line as the result.
      process.stdout.write(`${JSON.stringify(document)}\n`);
    },
  };
}

function jsonObjectFlag(raw, flag) {
  if (raw === undefined) return {};
  const text = raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  const value = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${flag} must be a JSON object`);
  return value;
}

function packDirOf(entryPoint) {
  for (let folder = path.dirname(entryPoint); folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (path.basename(folder) === 'actions') return path.dirname(folder);
  }
  return path.dirname(path.dirname(entryPoint));
}

function manualJob(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      manual: { type: 'boolean' },
      'entry-point': { type: 'string' },
      'pack-dir': { type: 'string' },
      pack: { type: 'string' },
      action: { type: 'string' },
      parameters: { type: 'string' },
      config: { type: 'string' },
      datastore: { type: 'string' },
      'log-level': { type: 'string', default: 'debug' },
      'execution-id': { type: 'string', default: 'manual' },
    },
  });
  if (!values['entry-point']) throw new TypeError('--entry-point is required when run by hand (see the header of this file)');
  const entryPoint = path.resolve(values['entry-point']);
  const packDir = values['pack-dir'] ? path.resolve(values['pack-dir']) : packDirOf(entryPoint);
  const job = {
    kind: 'action',
    execution_id: values['execution-id'],
    pack: values.pack ?? path.basename(packDir),
    action: values.action ?? path.basename(entryPoint).replace(/\.[cm]?js$/, ''),
    entry_point: entryPoint,
    pack_dir: packDir,
    parameters: jsonObjectFlag(values.parameters, '--parameters'),
    config: jsonObjectFlag(values.config, '--config'),
    log_level: values['log-level'],
  };
  return { job, datastore: values.datastore ? path.resolve(values.datastore) : undefined };
}

function controlChannelIsOpen() {
  try {
    return fstatSync(3).isSocket();
  } catch {
    return false;
  }
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
  const argv = process.argv.slice(2);
  let channel;
  if (!argv.includes('--manual') && controlChannelIsOpen()) channel = openControlChannel();
  else {
    const manual = manualJob(argv);
    channel = manualChannel(manual.job, manual.datastore);
  }
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
    message = value instanceof ActionFailure ? resultMessage(value.result, false) : resultMessage(value, null);
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
