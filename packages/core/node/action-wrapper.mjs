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
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { boundedJson, ChannelMessage, datastoreCalls, errorMessage, openControlChannel, ValueRefused } from './control-channel.mjs';
import { createLogger, resolveBareImportsFromNodePath } from './pack-code.mjs';

const MessageType = { ...ChannelMessage, result: 'result' };

class ActionFailure {
  constructor(result) {
    this.result = result;
  }
}

function applySetup(setup) {
  process.chdir(setup.cwd);
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, setup.env);
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
    async end(message) {
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

function pickFunction(mod, file) {
  const candidates = [mod.default, mod.run, mod.default?.run, mod.default?.default];
  const found = candidates.find((candidate) => typeof candidate === 'function');
  if (!found) throw new TypeError(`${file} exports no function: export a default function or one named "run"`);
  return found;
}

/**
 * A result that JSON cannot carry is sent as its string form, as the Python wrapper does; one over
 * the job's result_limits is an error naming the limit.
 */
function resultMessage(value, success, limits) {
  let result = value === undefined ? null : value;
  const bounds = { what: 'the result', deepType: 'ResultTooDeep', largeType: 'ResultTooLarge', sizeSetting: 'PACKRUN_RESULT_MAX_BYTES' };
  try {
    boundedJson(result, limits, bounds);
  } catch (error) {
    if (error instanceof ValueRefused) return errorMessage(error);
    result = String(result);
    try {
      boundedJson(result, limits, bounds);
    } catch (refused) {
      return errorMessage(refused);
    }
  }
  return { type: MessageType.result, result, success };
}

async function main() {
  const argv = process.argv.slice(2);
  let channel;
  // A pre-spawned wrapper (docs/fast-spawn.md) learns its job folder and environment with its
  // job, before any of the action's code is imported.
  if (!argv.includes('--manual') && controlChannelIsOpen()) {
    channel = openControlChannel({
      onJobFrame(frame) {
        if (frame.setup) applySetup(frame.setup);
      },
    });
  }
  else {
    const manual = manualJob(argv);
    channel = manualChannel(manual.job, manual.datastore);
  }
  const job = await channel.job;
  resolveBareImportsFromNodePath();

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
      datastore: datastoreCalls(channel, `${job.pack}.${job.action}:`),
      fail: (result) => new ActionFailure(result),
    };
    const value = await action(job.parameters, context);
    message = value instanceof ActionFailure ? resultMessage(value.result, false, job.result_limits) : resultMessage(value, null, job.result_limits);
  } catch (error) {
    message = errorMessage(error);
  }
  try {
    await channel.end(message);
  } catch (error) {
    await channel.end(errorMessage(error));
    message = errorMessage(error);
  }
  // Exit now: handles the action left open (timers, keep-alive sockets) must not hold the job.
  process.exit(message.type === MessageType.result && message.success !== false ? 0 : 1);
}

await main();
