// The control channel of Packrun's Node wrappers (the action wrapper here, the sensor wrapper in
// packages/sensor-container/node): fd 3, frames of a 4-byte big-endian length + UTF-8 JSON, names
// mirrored from packages/core/src/protocol/messages.ts. Both wrappers import this file by a path
// relative to their own, so it must stay in a folder the sandbox binds (packages/<name>/node).
import net from 'node:net';

export const ChannelMessage = { job: 'job', datastoreReply: 'datastore_reply', datastore: 'datastore', error: 'error' };
const maxFrameBytes = 64 * 1024 * 1024;

export function encodeFrame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) throw new Error(`frame of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/**
 * The runtime's side: the job frame resolves `job` (after `onJobFrame` has seen the whole frame),
 * datastore replies settle `request` calls, any other frame goes to `onFrame`; `onClose` runs once
 * the runtime has gone away and the pending requests are rejected.
 */
export function openControlChannel({ onJobFrame = () => {}, onFrame = () => {}, onClose = () => {} } = {}) {
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
      if (message.type === ChannelMessage.job) {
        onJobFrame(message);
        onJob(message.job);
      } else if (message.type === ChannelMessage.datastoreReply) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (!waiter) continue;
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(Object.assign(new Error(message.error?.message ?? 'datastore error'), { name: message.error?.type ?? 'Error' }));
      } else onFrame(message);
    }
  });
  socket.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('control channel closed'));
    pending.clear();
    onClose();
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
        socket.write(encodeFrame({ type: ChannelMessage.datastore, id, op, args }));
      });
    },
    /** Closes the channel once everything written (and `message`, if given) has gone out. */
    end(message) {
      return new Promise((resolve) => (message === undefined ? socket.end(resolve) : socket.end(encodeFrame(message), resolve)));
    },
  };
}

/**
 * get/set/delete/list over a channel's `request`, names local to `localPrefix` unless
 * `local: false`, with StackStorm's defaults (system scope, no TTL, no encryption).
 */
export function datastoreCalls(channel, localPrefix) {
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

export function errorMessage(error) {
  if (error instanceof Error) return { type: ChannelMessage.error, error: { type: error.name, message: error.message, traceback: error.stack ?? '' } };
  return { type: ChannelMessage.error, error: { type: 'Error', message: String(error) } };
}

/** A value over the bounds the runtime gave (the job's result_limits or payload_limits). */
export class ValueRefused extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

/**
 * Throws ValueRefused when `value` nests objects and arrays more than `limits.max_depth` levels
 * (the value itself is level 1) or its JSON takes more than `limits.max_bytes`; returns the JSON
 * otherwise. The depth is walked with an explicit stack before JSON.stringify, which recurses:
 * a value nested a million deep, or holding itself, is refused rather than overflowing the stack.
 */
export function boundedJson(value, limits, { what, deepType, largeType, sizeSetting }) {
  if (limits) {
    const stack = [[value, 1]];
    while (stack.length > 0) {
      const [item, depth] = stack.pop();
      if (item === null || typeof item !== 'object') continue;
      if (depth > limits.max_depth) throw new ValueRefused(deepType, `${what} is nested more than ${limits.max_depth} levels deep (PACKRUN_JSON_MAX_DEPTH)`);
      for (const child of Array.isArray(item) ? item : Object.values(item)) {
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      }
    }
  }
  const text = JSON.stringify(value) ?? 'null';
  const size = Buffer.byteLength(text, 'utf8');
  if (limits && size > limits.max_bytes) throw new ValueRefused(largeType, `${what} is ${size} bytes, over the limit of ${limits.max_bytes} bytes (${sizeSetting})`);
  return text;
}
