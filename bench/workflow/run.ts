/**
 * Workflow engine overhead: a 100-task sequential action chain of a trivial Python action, against
 * the same 100 executions requested one after the other through the API, measured in the same run
 * on the embedded deployment (`packrun up`'s services in this process, warm Python). The figure is
 * the CPU this process spends per task beyond what running the task alone costs it: stepping the
 * driver (parameters rendered, publish), the compare-and-set of the workflow's state with its
 * outbox, creating the child through the execution service, and reading its end back.
 * Run: node --import tsx bench/workflow/run.ts [tasks, default 100]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processZygotePool } from '../../packages/action-runner/src/index.ts';
import { installPack } from '../../packages/pack-installer/src/index.ts';
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';
import { measureCpuSplit } from '../lib/cpu-split.ts';
import { startDeployment } from '../lib/deployment.ts';
import { printRows } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const tasks = Number(process.argv[2] ?? 100);
const home = benchHome();
await installBenchPacks(home, [{ ref: 'benchpy', heavy: false }]);

// A chain of `tasks` nodes, each passing the previous task's result on (rendered, published).
const chainDir = path.join(home.root, 'packs-src', 'benchwf');
mkdirSync(path.join(chainDir, 'actions', 'chains'), { recursive: true });
writeFileSync(path.join(chainDir, 'pack.yaml'), 'ref: benchwf\nname: benchwf\ndescription: Packrun workflow benchmark\nversion: 0.1.0\nauthor: Packrun\n');
writeFileSync(path.join(chainDir, 'actions', 'sequence.yaml'), 'name: sequence\nrunner_type: action-chain\nentry_point: chains/sequence.yaml\n');
const nodes = Array.from({ length: tasks }, (_, index) => {
  const next = index + 1 < tasks ? `\n    on-success: t${index + 1}` : '';
  const n = index === 0 ? '0' : `{{ t${index - 1}.result.n + 1 }}`;
  return `  - name: t${index}\n    ref: benchpy.trivial\n    parameters:\n      n: "${n}"${next}`;
});
writeFileSync(path.join(chainDir, 'actions', 'chains', 'sequence.yaml'), `chain:\n${nodes.join('\n')}\n`);
await installPack([chainDir], { config: home.warm });

const deployment = await startDeployment(home, { rabbit: false, warm: true, workflows: true });
const zygotes = () => processZygotePool(deployment.config).pids();
try {
  for (let i = 0; i < 5; i += 1) await deployment.execute('benchpy.trivial', { n: i });
  let directWall = 0;
  const direct = await measureCpuSplit(zygotes, async () => {
    const started = performance.now();
    for (let i = 0; i < tasks; i += 1) {
      const record = await deployment.execute('benchpy.trivial', { n: i });
      if (record.status !== 'succeeded') throw new Error(`execution ${record.id} ${record.status}`);
    }
    directWall = performance.now() - started;
  });
  let workflowWall = 0;
  const workflow = await measureCpuSplit(zygotes, async () => {
    const started = performance.now();
    const record = await deployment.execute('benchwf.sequence', {});
    workflowWall = performance.now() - started;
    // The result (one entry per task) is over the inline size and left out of the record: count the children.
    const ran = record.children?.length ?? 0;
    if (record.status !== 'succeeded' || ran !== tasks) throw new Error(`workflow ${record.id} ${record.status} after ${ran} tasks`);
  });
  const perTask = (ms: number): number => ms / tasks;
  const overhead = perTask(workflow.runtimeMs) - perTask(direct.runtimeMs);
  printRows('Workflow engine (action-chain, embedded deployment)', [
    {
      name: `(w) runtime CPU per task, ${tasks}-task sequential chain of a trivial Python action`,
      value: round(perTask(workflow.runtimeMs), 2),
      unit: 'ms',
      baseline: { name: 'the same executions requested one by one', value: round(perTask(direct.runtimeMs), 2) },
      target: { text: '≤ 2 ms beyond the task', met: overhead <= 2, limit: perTask(direct.runtimeMs) + 2 },
      note: `engine overhead ${round(overhead, 2)} ms of CPU per task in the runtime process (driver step, state and outbox written, child created and its end read back); wall time per task ${round(perTask(workflowWall), 1)} ms against ${round(perTask(directWall), 1)} ms requested one by one (the latter includes an HTTP request and response per task, which the workflow does not make).`,
      bound: 'each step writes the chain\'s whole state (its published variables and the results the later tasks may render), so a chain with large results pays for them at every step.',
    },
  ]);
} finally {
  await deployment.close();
}
