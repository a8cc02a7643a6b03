/**
 * (e) sensor dispatch to action start: a Python sensor polls every 300 ms and dispatches a
 * trigger carrying time.time(); a pack rule runs a Python action with that time, and the action
 * returns how long after the dispatch its run() began. Embedded deployment in this process, as
 * `packrun up` wires it (sensor container, rules engine, API, runner), warm spawning on; the
 * baseline is the same with warm spawning off, in the same run.
 * Run: node --import tsx bench/sensor/run.ts [dispatches, default 30]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// bench/ is not a workspace package, so it reaches the packages by path.
import { createLogger, loadConfig, openBus, openKeyValues, openStore, type ExecutionRecord } from '../../packages/core/src/index.ts';
import { startApiService } from '../../packages/api/src/index.ts';
import { processZygotePool, startActionRunnerService } from '../../packages/action-runner/src/index.ts';
import { installPack } from '../../packages/pack-installer/src/index.ts';
import { executionRequester, sitePackConfig, startRulesEngine } from '../../packages/rules-engine/src/index.ts';
import { startSensorContainer } from '../../packages/sensor-container/src/index.ts';
import { benchHome } from '../lib/bench-home.ts';
import { printRows } from '../lib/report.ts';
import { round, summary } from '../lib/stats.ts';

const dispatches = Number(process.argv[2] ?? 30);
const files: Record<string, string> = {
  'pack.yaml': 'ref: benchsense\nname: benchsense\ndescription: sensor to action benchmark\nversion: 0.1.0\nauthor: Packrun\nemail: packrun@example.invalid\n',
  'sensors/ticker.yaml': 'class_name: Ticker\nentry_point: ticker.py\npoll_interval: 0.3\ntrigger_types:\n  - name: tick\n    payload_schema: {type: object, properties: {t: {type: number}}}\n',
  'sensors/ticker.py': `import time
from st2reactor.sensor.base import PollingSensor


class Ticker(PollingSensor):
    def setup(self):
        pass

    def poll(self):
        self.sensor_service.dispatch(trigger='benchsense.tick', payload={'t': time.time()})

    def cleanup(self):
        pass

    def add_trigger(self, trigger):
        pass

    def update_trigger(self, trigger):
        pass

    def remove_trigger(self, trigger):
        pass
`,
  'actions/stamp.yaml': 'name: stamp\nrunner_type: python-script\nentry_point: stamp.py\nparameters:\n  t:\n    type: number\n    required: true\n',
  'actions/stamp.py': `import time
from st2common.runners.base_action import Action


class Stamp(Action):
    def run(self, t):
        return {'ms': (time.time() - float(t)) * 1000}
`,
  'rules/on_tick.yaml': 'name: on_tick\npack: benchsense\nenabled: true\ntrigger: {type: benchsense.tick}\naction:\n  ref: benchsense.stamp\n  parameters: {t: "{{ trigger.t }}"}\n',
};

const home = benchHome();
const packDir = path.join(home.root, 'packs-src', 'benchsense');
for (const [name, content] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(packDir, name)), { recursive: true });
  writeFileSync(path.join(packDir, name), content);
}
await installPack([packDir], { config: home.cold });

async function measure(warm: boolean): Promise<number[]> {
  const config = loadConfig({ ...home.env, PACKRUN_WARM_SPAWN: warm ? 'on' : 'off', PACKRUN_API_AUTH: 'false' });
  const logger = createLogger({ level: 'error' });
  const store = await openStore(config, logger);
  const bus = openBus(config, logger);
  await bus.waitReady(10_000);
  const keyValues = openKeyValues(store, config);
  const paths = home.paths;
  const sensors = await startSensorContainer({ store, bus, paths, config, keyValues, logger, backoff: { initialMs: 200, maxMs: 2000, stableMs: 10_000, failingAfter: 3 }, stopGraceMs: 2000, refreshMs: 200 });
  const api = await startApiService({ config, store, bus, keyValues, logger, listen: false, sensorContainer: sensors });
  const rules = await startRulesEngine({ store, bus, keyValues, logger, requestExecution: executionRequester(api.executions, store), packConfig: sitePackConfig(paths, keyValues) });
  const runner = await startActionRunnerService({ config, paths, bus, ledger: api.ledger, datastore: keyValues, logger, heartbeatMs: 1000 });
  const since = new Date().toISOString();
  // The first few executions start the sensor and (when warm) the zygote: skip them.
  const skip = 3;
  let records: ExecutionRecord[] = [];
  const deadline = Date.now() + 120_000;
  while (records.length < dispatches + skip && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    records = await store.executions.find({ action: 'benchsense.stamp', status: 'succeeded', createdAt: { $gte: since } }, { sort: { createdAt: 1 } });
  }
  await sensors.stop();
  await rules.stop();
  await runner.stop(2000);
  await api.close();
  await bus.close();
  await store.close();
  await processZygotePool(config).close();
  return records.slice(skip, skip + dispatches).map((record) => (record.result as { result: { ms: number } }).result.ms);
}

const cold = summary(await measure(false));
const warm = summary(await measure(true));
printRows('Sensor dispatch to action start', [
  {
    name: '(e) sensor dispatch to action start (embedded, zygote), p50',
    value: round(warm.p50),
    unit: 'ms',
    baseline: { name: 'cold p50', value: round(cold.p50) },
    target: { text: '≤ 5 ms', met: warm.p50 <= 5, limit: 5 },
    bound: 'the runtime\'s own work along the path, one step after the other on its event loop (timed once with marks, medians from the dispatch: the frame reaches the runtime at 0.5 ms, the trigger instance is stored at 0.7, the rules engine has matched, rendered, validated and stored the execution at 1.8, the runner has it at 2.4 and hands it to a child forked ahead at 3.0), then the child itself up to run() (1.5 ms).',
    note: `p99 ${round(warm.p99)} ms (cold ${round(cold.p99)} ms); ${warm.n} dispatches, one every 300 ms; the path: sensor process -> control channel -> sensor container -> bus -> rules engine (criteria, templates, store the enforcement) -> execution service (validate, store) -> bus -> runner -> child forked ahead -> run().`,
  },
]);
