// Distributed deployment: a Node sensor's dispatches published straight to RabbitMQ with the
// pack's own identity (it may only write to the dispatch exchange, routing keys `<pack>.`),
// persistent and confirmed, buffered in memory while the broker is unreachable.
//
// amqplib is Packrun's own copy, resolved from this file's folder (packages/sensor-container's
// dependencies), never the pack's node_modules: a pack's amqplib version cannot break it.
import { createRequire } from 'node:module';

const maxDelayMs = 5000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withHeartbeat(url) {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}

/** `<pack>.<trigger>`: the ref a dispatch names (a string, or a trigger object's ref, else its type). */
export function routingKey(trigger) {
  if (trigger !== null && typeof trigger === 'object') return String(trigger.ref ?? trigger.type ?? '');
  return typeof trigger === 'string' ? trigger : '';
}

export function createBrokerPublisher({ broker, pack, sensor, logger }) {
  const amqp = createRequire(import.meta.url)('amqplib');
  const limit = Number(broker.buffer_limit) || 10000;
  const pending = [];
  let dropped = 0;
  let wake = () => {};
  const drained = new Set();

  const notify = () => {
    const current = wake;
    wake = () => {};
    current();
  };
  const settled = () => {
    pending.shift();
    if (pending.length === 0) for (const resolve of drained) resolve();
  };

  async function openChannel(connection, errors) {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (error) => errors.push(error));
    return channel;
  }

  // Resolves 'ok' when confirmed, 'refused' when the broker's permissions refused it (resending
  // would be refused forever); rejects on anything else, which reconnects.
  function publishOne(channel, errors, [key, body, messageId]) {
    return new Promise((resolve, reject) => {
      const options = { persistent: true, contentType: 'application/json', messageId };
      try {
        channel.publish(broker.exchange, key, body, options, (error) => {
          if (error === null || error === undefined) {
            resolve('ok');
            return;
          }
          // The channel's own 'error' (with the broker's reply code) may come right after the confirm's.
          setTimeout(() => (errors.some((entry) => entry.code === 403) ? resolve('refused') : reject(error)), 20);
        });
      } catch (error) {
        reject(error);
      }
    });
  }

  async function run() {
    let delay = 100;
    let failing = false;
    for (;;) {
      let connection;
      try {
        connection = await amqp.connect(withHeartbeat(broker.url), { timeout: 5000 });
        let closed = false;
        connection.on('error', () => {});
        connection.on('close', () => {
          closed = true;
          notify();
        });
        let errors = [];
        let channel = await openChannel(connection, errors);
        if (failing) logger.info(`broker reachable again; sending ${pending.length} waiting dispatches`);
        failing = false;
        delay = 100;
        while (!closed) {
          if (pending.length === 0) {
            await new Promise((resolve) => {
              wake = resolve;
            });
            continue;
          }
          const item = pending[0];
          const outcome = await publishOne(channel, errors, item);
          if (outcome === 'refused') {
            logger.error(`the broker refused dispatch ${item[0]}: ${errors.find((entry) => entry.code === 403)?.message}; dropped`);
            errors = [];
            channel = await openChannel(connection, errors);
          }
          settled();
        }
        throw new Error('connection closed');
      } catch (error) {
        if (!failing) logger.warning(`broker unreachable (${error?.message ?? error}); dispatches wait in memory (at most ${limit}) and are sent once it is back`);
        failing = true;
        await connection?.close().catch(() => {});
        await sleep(delay);
        delay = Math.min(maxDelayMs, delay * 2);
      }
    }
  }

  void run();
  return {
    publish(dispatch) {
      const key = routingKey(dispatch.trigger);
      if (!key.startsWith(`${pack}.`)) {
        logger.error(`dispatch of trigger ${JSON.stringify(key)} dropped: a sensor of pack ${pack} can only dispatch its own pack's triggers`);
        return;
      }
      if (pending.length >= limit) {
        dropped += 1;
        if (dropped === 1 || dropped % 1000 === 0) logger.error(`${pending.length} dispatches waiting for the broker; dropped ${dropped} so far`);
        return;
      }
      const body = Buffer.from(JSON.stringify({ trigger: dispatch.trigger, payload: dispatch.payload, trace_tag: dispatch.trace_tag, sensor }));
      pending.push([key, body, crypto.randomUUID()]);
      notify();
    },
    /** Waits up to `ms` for the buffer to empty (a stopping sensor). */
    async drain(ms) {
      if (pending.length === 0) return;
      let done = () => {};
      const empty = new Promise((resolve) => {
        done = resolve;
        drained.add(resolve);
      });
      const timer = sleep(ms).then(() => 'timeout');
      const outcome = await Promise.race([empty, timer]);
      drained.delete(done);
      if (outcome === 'timeout' && pending.length > 0) logger.warning(`stopping with ${pending.length} dispatches not yet delivered`);
    },
  };
}
