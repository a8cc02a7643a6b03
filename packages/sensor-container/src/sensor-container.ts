import path from 'node:path';
import os from 'node:os';
import {
  payloadFrameBounds,
  fireInternalTrigger,
  internalTriggerRefs,
  loadPack,
  leaseInstalledPack,
  loadSiteConfig,
  packScopedLookup,
  operatorSandboxPolicy,
  resolveSandboxProfile,
  type Bus,
  type ActionApiRoute,
  type DataPaths,
  type DispatchMessage,
  type InstalledPack,
  type InternalTriggerRef,
  type KeyValueLookup,
  type KeyValues,
  type Logger,
  type PackrunConfig,
  type SensorRecord,
  type SensorTrigger,
  type SpawnDecorator,
  type Store,
  type TriggerRecord,
} from '@packrun/core';
import { dispatchTrigger, dispatchedTriggerRef, registerBuiltinTriggerTypes } from '@packrun/rules-engine';
import type { BackoffPolicy } from './backoff.ts';
import { BrokerIdentities } from './broker-dispatch/broker-identity.ts';
import { chooseSensorPublishing } from './broker-dispatch/publishing-choice.ts';
import { sensorBrokerRoute } from './broker-dispatch/sensor-route.ts';
import { startDispatchIntake, type DispatchIntake, type DispatchIntakeCounts } from './broker-dispatch/dispatch-intake.ts';
import { BuiltinTimers } from './builtin-timers.ts';
import { sensorApiAccess, type SensorApiAccess } from './sensor-api-access.ts';
import { sensorRuntime, startSensorProcess, type RunningSensorProcess } from './sensor-process.ts';
import { SensorSupervisor, type SensorState } from './sensor-supervisor.ts';
import { TriggerFeed } from './trigger-feed.ts';

export interface SensorContainerOptions {
  store: Store;
  bus: Bus;
  paths: DataPaths;
  config: PackrunConfig;
  keyValues: KeyValues;
  logger: Logger;
  decorator?: SpawnDecorator;
  backoff: BackoffPolicy;
  /** Time a sensor gets to run cleanup() after the stop frame before it is killed. */
  stopGraceMs: number;
  /** How often the store is re-read for sensor, enable/disable and trigger changes. */
  refreshMs: number;
  /** Dispatches waiting for the bus (a broker outage) before new ones are dropped; 10,000 by default. */
  maxDispatchesInFlight?: number;
  /** Run the built-in timers in this container (one container per deployment should). */
  timers?: boolean;
  /**
   * How sensors of the packs in PACKRUN_ACTION_API_PACKS reach StackStorm's API (undefined: none
   * does). A promise because `packrun up` starts this container before its API listens; those
   * sensors' starts wait for it.
   */
  packCodeApi?: Promise<ActionApiRoute | undefined>;
}

export interface SensorView extends SensorState {
  pack: string;
  enabled: boolean;
  triggerTypes: string[];
  description?: string;
}

export interface SensorContainer {
  list(): Promise<SensorView[]>;
  /** Re-reads the store now (after an enable, a disable, a pack install). */
  refresh(): Promise<void>;
  restart(ref: string): Promise<void>;
  /** What the dispatch intake accepted and dropped; undefined when sensors do not publish to RabbitMQ themselves. */
  dispatchCounts(): DispatchIntakeCounts | undefined;
  stop(): Promise<void>;
}

interface Supervised {
  supervisor: SensorSupervisor;
  /** The registration it was started from; a new one (reinstall) restarts it. */
  version: string;
  triggers: TriggerFeed;
}

/**
 * One supervised process per enabled sensor, kept in step with the store: sensors appear, vanish,
 * get enabled or disabled, and are restarted on a new pack version; parameterised triggers that
 * rules create or drop reach the sensors of their types (add_trigger / remove_trigger). What a
 * sensor dispatches is checked against its trigger type's payload schema and queued for the rules
 * engine; an invalid dispatch is logged and dropped.
 */
export async function startSensorContainer(options: SensorContainerOptions): Promise<SensorContainer> {
  const { store, bus, logger } = options;
  const log = logger.child({ component: 'sensor-container' });
  await registerBuiltinTriggerTypes(store);
  const running = new Map<string, Supervised>();
  const stopped = new Map<string, SensorState>();
  const timers = options.timers === false ? undefined : new BuiltinTimers(fireTimer, logger);
  let closing = false;
  const startedAt = new Date().toISOString();
  const containerId = `${os.hostname()}:${process.pid}`;
  const handledRestarts = new Map<string, string>();
  let refreshing: Promise<void> | undefined;
  let again = false;
  let inFlight = 0;
  let overflow = 0;
  const maxDispatchesInFlight = options.maxDispatchesInFlight ?? 10_000;
  const direct = await startDirectPublishing(options);

  async function fireTimer(trigger: TriggerRecord, payload: Record<string, unknown>): Promise<void> {
    await dispatchTrigger(store, bus, { trigger: trigger.ref, payload, source: trigger.type });
  }

  /**
   * StackStorm's core.st2.sensor.process_spawn / process_exit: `id` is the sensor's class name and
   * `timestamp` whole seconds, as st2's process container sends them. Not awaited: a sensor starts
   * and stops whether or not the bus takes the event.
   */
  function fireSensorTrigger(sensor: SensorRecord, ref: InternalTriggerRef, fields: Record<string, unknown>): void {
    const payload = { id: sensor.name, timestamp: Math.floor(Date.now() / 1000), ...fields };
    fireInternalTrigger(bus, ref, payload).catch((error: unknown) => log.warn({ err: error, sensor: sensor.ref, trigger: ref }, 'sensor trigger not fired'));
  }

  function onDispatch(sensor: SensorRecord, message: DispatchMessage): void {
    const trigger = dispatchedTriggerRef(message.trigger);
    if (!trigger) {
      log.warn({ sensor: sensor.ref, trigger: message.trigger }, 'dispatch names no trigger; dropped');
      return;
    }
    // During a broker outage dispatches wait for the bus; past this many the newest are dropped
    // (and counted) instead of growing memory without bound.
    if (inFlight >= maxDispatchesInFlight) {
      overflow += 1;
      if (overflow === 1 || overflow % 1000 === 0) log.error({ sensor: sensor.ref, dropped: overflow }, 'too many dispatches waiting for the bus; dropping');
      return;
    }
    inFlight += 1;
    dispatchTrigger(store, bus, {
      trigger,
      payload: message.payload,
      source: sensor.ref,
      fromPack: sensor.pack,
      ...(message.trace_tag === null ? {} : { traceTag: message.trace_tag }),
    })
      .catch((error: unknown) => log.warn({ err: error, sensor: sensor.ref, trigger }, 'dispatch dropped'))
      .finally(() => {
        inFlight -= 1;
      });
  }

  function supervise(sensor: SensorRecord): Supervised {
    const feed = new TriggerFeed(sensor.triggerTypes);
    const supervisor = new SensorSupervisor({
      ref: sensor.ref,
      backoff: options.backoff,
      stopGraceMs: options.stopGraceMs,
      logger,
      // Reported (and published) by the next reconcile, which runs at once; at shutdown stop() reports.
      onChange: () => {
        if (!closing) refresh().catch((error: unknown) => log.warn({ err: error }, 'sensor refresh failed; retrying'));
      },
      start: async ({ onStderrLine }) => {
        // The version folder (and its env) stays on disk while this process runs, even if an
        // install switches the pack meanwhile; the restart onto the new version comes from reconcile.
        const lease = await leaseInstalledPack(options.paths, sensor.pack);
        let api: SensorApiAccess | undefined;
        const ended = async (): Promise<void> => {
          await api?.revoke().catch((error: unknown) => log.warn({ err: error, sensor: sensor.ref }, 'sensor token not deleted; it is revoked when the sensor next starts'));
          await lease.release();
        };
        try {
          api = await sensorApiAccess({ store, config: options.config, sensor, route: options.packCodeApi });
          const started = await startLeased(lease.installed, onStderrLine, api);
          fireSensorTrigger(sensor, internalTriggerRefs.sensorSpawn, { pid: started.pid, cmd: started.cmd });
          started.exited
            .then((exit) => fireSensorTrigger(sensor, internalTriggerRefs.sensorExit, { exit_code: exitCodeOf(exit) }))
            .catch(() => undefined)
            .then(ended)
            .catch((error: unknown) => log.warn({ err: error, sensor: sensor.ref }, 'could not release the pack version lease'));
          return started;
        } catch (error) {
          await ended();
          throw error;
        }
      },
    });
    supervisor.begin();
    return { supervisor, version: sensor.updatedAt, triggers: feed };

    async function startLeased(installed: InstalledPack, onStderrLine: (line: string) => void, api: SensorApiAccess | undefined): Promise<RunningSensorProcess> {
      const pack = await loadPack(installed.dir);
      const siteConfig = await loadSiteConfig({ pack, configsDir: options.paths.configs, kv: packScopedLookup(keyValueLookup(options.keyValues), sensor.pack) });
      // The triggers current at this start go in the job; later changes follow as frames.
      const initial: SensorTrigger[] = feed.reset(await store.triggers.find({}));
      const limits = resolveSandboxProfile({
        operator: operatorSandboxPolicy(options.config),
        pack: pack.meta.raw['sandbox'],
        action: pack.sensors.find((candidate) => candidate.ref === sensor.ref)?.raw['sandbox'],
        packSource: path.join(installed.dir, 'pack.yaml'),
        actionSource: `sensor ${sensor.ref}`,
      });
      // A sensor without network cannot reach the broker: it keeps the control channel.
      const broker = direct && limits.network ? await direct.identities.forPack(sensor.pack) : undefined;
      return startSensorProcess({
        sensor,
        installed,
        packConfig: siteConfig.values,
        triggers: initial,
        paths: options.paths,
        config: options.config,
        keyValues: options.keyValues,
        onDispatch: (message) => onDispatch(sensor, message),
        onStderrLine,
        ...(options.decorator ? { decorator: options.decorator } : {}),
        limits,
        ...(broker ? { broker, brokerHostPorts: direct?.hostPorts ?? [] } : {}),
        ...(api ? { api } : {}),
        logger,
      });
    }
  }

  async function reconcile(): Promise<void> {
    const sensors = await store.sensors.find({});
    const triggers = await store.triggers.find({});
    const wanted = new Map(sensors.filter((sensor) => sensor.enabled).map((sensor) => [sensor.ref, sensor]));
    for (const [ref, entry] of running) {
      const sensor = wanted.get(ref);
      if (sensor && sensor.updatedAt === entry.version) continue;
      running.delete(ref);
      await entry.supervisor.stop();
      stopped.set(ref, entry.supervisor.snapshot());
      if (sensor) log.info({ sensor: ref }, 'sensor changed (reinstalled); restarting on the new version');
    }
    for (const [ref, sensor] of wanted) {
      if (running.has(ref) || closing) continue;
      if (!sensorRuntime(sensor.entryPoint)) {
        log.error({ sensor: ref, entryPoint: sensor.entryPoint }, 'sensor entry point is neither Python (.py) nor Node (.js/.mjs/.cjs); not started');
        continue;
      }
      stopped.delete(ref);
      running.set(ref, supervise(sensor));
    }
    // Only a running process hears about changes: one that is starting got the current triggers
    // in its job, and the changes since then reach it on the next pass.
    for (const entry of running.values()) {
      if (!entry.supervisor.running) continue;
      for (const message of entry.triggers.changes(triggers)) entry.supervisor.send(message);
    }
    if (timers) {
      // A timer fires only for rules that can act on it; disabled rules' timers stay quiet.
      const live = new Set((await store.rules.find({ enabled: true })).map((rule) => rule.trigger.ref));
      timers.sync(triggers.filter((trigger) => live.has(trigger.ref)));
    }
    await honourRestartRequests(sensors);
    await reportStates(sensors);
  }

  /** Restarts asked for through the store (an API without this container in its process). */
  async function honourRestartRequests(sensors: readonly SensorRecord[]): Promise<void> {
    for (const sensor of sensors) {
      const asked = sensor.restartRequestedAt;
      if (asked === undefined || handledRestarts.get(sensor.ref) === asked) continue;
      const first = !handledRestarts.has(sensor.ref) && asked < startedAt;
      handledRestarts.set(sensor.ref, asked);
      // A request older than this container was met by starting it.
      if (first) continue;
      log.info({ sensor: sensor.ref }, 'restart requested');
      await running.get(sensor.ref)?.supervisor.restart();
    }
  }

  /**
   * Writes each sensor's state to its record when it changed, for APIs in other processes, then
   * publishes `sensor-updates` for their event streams (not awaited: a broker outage must not hold
   * up the sensors; a missed event leaves the state in the record).
   */
  async function reportStates(sensors: readonly SensorRecord[]): Promise<void> {
    for (const sensor of sensors) {
      const state = running.get(sensor.ref)?.supervisor.snapshot() ?? stopped.get(sensor.ref) ?? emptyState(sensor.ref);
      const runtime = { ...state, ...(running.has(sensor.ref) ? {} : { status: 'stopped' }), reportedBy: containerId };
      if (JSON.stringify(stripTime(sensor.runtime)) === JSON.stringify(stripTime(runtime))) continue;
      const at = new Date().toISOString();
      await store.sensors.update({ id: sensor.ref }, { set: { runtime: { ...runtime, reportedAt: at } } });
      bus.publish('sensor-updates', { ref: sensor.ref, at }).catch((error: unknown) => log.warn({ err: error, sensor: sensor.ref }, 'sensor state event not published'));
    }
  }

  async function refresh(): Promise<void> {
    // One reconcile at a time; a request during one runs once more right after it.
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        await reconcile();
      } while (again);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  await refresh();
  const poller = setInterval(() => {
    refresh().catch((error: unknown) => log.warn({ err: error }, 'sensor refresh failed; retrying'));
  }, options.refreshMs);

  return {
    async list() {
      const sensors = await store.sensors.find({}, { sort: { id: 1 } });
      return sensors.map((sensor) => {
        const state = running.get(sensor.ref)?.supervisor.snapshot() ?? stopped.get(sensor.ref) ?? emptyState(sensor.ref);
        const view: SensorView = {
          ...state,
          ...(running.has(sensor.ref) ? {} : { status: 'stopped' as const }),
          pack: sensor.pack,
          enabled: sensor.enabled,
          triggerTypes: sensor.triggerTypes,
        };
        if (sensor.description !== undefined) view.description = sensor.description;
        return view;
      });
    },
    refresh,
    async restart(ref) {
      await refresh();
      await running.get(ref)?.supervisor.restart();
    },
    dispatchCounts: () => (direct ? { ...direct.intake.counts } : undefined),
    async stop() {
      closing = true;
      clearInterval(poller);
      await refreshing;
      timers?.stop();
      await Promise.all([...running.values()].map((entry) => entry.supervisor.stop()));
      await direct?.intake.stop();
      for (const [ref, entry] of running) stopped.set(ref, entry.supervisor.snapshot());
      running.clear();
      await reportStates(await store.sensors.find({})).catch((error: unknown) => log.warn({ err: error }, 'could not record the stopped sensors'));
    },
  };
}

interface DirectPublishing {
  identities: BrokerIdentities;
  intake: DispatchIntake;
  /** The broker's port when it is on this host: forwarded into each sensor's network namespace. */
  hostPorts: number[];
}

/**
 * Distributed deployment where Packrun can create broker users (chooseSensorPublishing): sensors
 * publish to the dispatch exchange themselves and this container's intake turns their messages
 * into trigger instances. The path chosen, and why, goes to the log.
 */
async function startDirectPublishing(options: SensorContainerOptions): Promise<DirectPublishing | undefined> {
  const { config } = options;
  if (config.rabbitmqUrl === undefined) return undefined;
  const logger = options.logger.child({ component: 'sensor-container' });
  const publishing = await chooseSensorPublishing(config);
  if (publishing.path === 'container') {
    logger.warn({ reason: publishing.reason }, `sensor publishing: through the sensor container (${publishing.reason})`);
    return undefined;
  }
  const route = await sensorBrokerRoute(config.rabbitmqUrl);
  logger.info({ via: publishing.via, reason: publishing.reason, forwardedPorts: route.hostPorts }, `sensor publishing: direct, each pack with a broker user of its own (${publishing.reason})`);
  const intake = await startDispatchIntake({ url: config.rabbitmqUrl, prefix: config.rabbitmqPrefix, store: options.store, bus: options.bus, logger: options.logger, bounds: payloadFrameBounds(config) });
  return { identities: new BrokerIdentities(route.url, config.rabbitmqPrefix, publishing.provisioner, logger), intake, hostPorts: route.hostPorts };
}

/** What templates in a site config need from the datastore. */
function keyValueLookup(keyValues: KeyValues): KeyValueLookup {
  return { get: async (name, options) => (await keyValues.get(name, options))?.value };
}

function stripTime(runtime: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!runtime) return undefined;
  const { reportedAt: _reportedAt, ...rest } = runtime;
  return rest;
}

function emptyState(ref: string): SensorState {
  return { ref, status: 'stopped', starts: 0, consecutiveFailures: 0, stderrTail: [] };
}

/** The exit code as Python's subprocess reports it to st2: the negative signal number when a signal ended it. */
function exitCodeOf(exit: { exitCode: number | null; exitSignal: string | null }): number | null {
  if (exit.exitCode !== null) return exit.exitCode;
  const signal = exit.exitSignal === null ? undefined : os.constants.signals[exit.exitSignal as NodeJS.Signals];
  return signal === undefined ? null : -signal;
}
