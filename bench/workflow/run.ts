/**
 * Workflow engine overhead: a 100-task sequential action chain of a trivial Python action, against
 * the same 100 executions requested one after the other, in the same run, through `packrun up` as
 * shipped (its own process, sandbox on, warm Python), driven over HTTP from this process. The
 * figure is the CPU the `packrun up` process spends per task beyond what running the task alone
 * costs it: stepping the driver (parameters rendered, publish), the compare-and-set of the
 * workflow's state with its outbox, creating the child through the execution service, and reading
 * its end back. The two alternate for several rounds and each figure is their mean: work the
 * process does now and then (a few hundred ms of CPU at a time) lands in one round or the other
 * and moved the difference of a single pair of rounds by ±5 ms per task on the same build.
 * Run: node --import tsx bench/workflow/run.ts [tasks, default 100] [rounds, default 5]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchPack } from '../lib/bench-home.ts';
import { startPackrunUp, type PackrunUp } from '../lib/packrun-up.ts';
import { printRows } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const tasks = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 5);
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-wf-'));

// A chain of `tasks` nodes, each passing the previous task's result on (rendered, published).
const chainDir = path.join(root, 'packs-src', 'benchwf');
mkdirSync(path.join(chainDir, 'actions', 'chains'), { recursive: true });
writeFileSync(path.join(chainDir, 'pack.yaml'), 'ref: benchwf\nname: benchwf\ndescription: Packrun workflow benchmark\nversion: 0.1.0\nauthor: Packrun\n');
writeFileSync(path.join(chainDir, 'actions', 'sequence.yaml'), 'name: sequence\nrunner_type: action-chain\nentry_point: chains/sequence.yaml\n');
const nodes = Array.from({ length: tasks }, (_, index) => {
  const next = index + 1 < tasks ? `\n    on-success: t${index + 1}` : '';
  const n = index === 0 ? '0' : `{{ t${index - 1}.result.n + 1 }}`;
  return `  - name: t${index}\n    ref: benchpy.trivial\n    parameters:\n      n: "${n}"${next}`;
});
writeFileSync(path.join(chainDir, 'actions', 'chains', 'sequence.yaml'), `chain:\n${nodes.join('\n')}\n`);

/** Wall time and the `packrun up` process's CPU while `work` runs. */
async function measured(up: PackrunUp, work: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = up.cpuMs();
  const started = performance.now();
  await work();
  return { wallMs: performance.now() - started, cpuMs: up.cpuMs() - cpu };
}

const up = await startPackrunUp();
try {
  await up.install([writeBenchPack(root, 'benchpy', false), chainDir]);
  for (let i = 0; i < 5; i += 1) await up.execute('benchpy.trivial', { n: i });
  const runDirect = (): Promise<{ wallMs: number; cpuMs: number }> =>
    measured(up, async () => {
      for (let i = 0; i < tasks; i += 1) {
        const record = await up.execute('benchpy.trivial', { n: i });
        if (record.status !== 'succeeded') throw new Error(`execution ${record.id} ${record.status}`);
      }
    });
  const runWorkflow = (): Promise<{ wallMs: number; cpuMs: number }> =>
    measured(up, async () => {
      const record = await up.execute('benchwf.sequence', {});
      const ran = record.children?.length ?? 0;
      if (record.status !== 'succeeded' || ran !== tasks) throw new Error(`workflow ${record.id} ${record.status} after ${ran} tasks`);
    });
  const directRounds: Array<{ wallMs: number; cpuMs: number }> = [];
  const workflowRounds: Array<{ wallMs: number; cpuMs: number }> = [];
  for (let index = 0; index < rounds; index += 1) {
    directRounds.push(await runDirect());
    workflowRounds.push(await runWorkflow());
  }
  const meanRound = (samples: Array<{ wallMs: number; cpuMs: number }>, field: 'wallMs' | 'cpuMs'): number => samples.reduce((sum, sample) => sum + sample[field], 0) / rounds;
  const direct = { wallMs: meanRound(directRounds, 'wallMs'), cpuMs: meanRound(directRounds, 'cpuMs') };
  const workflow = { wallMs: meanRound(workflowRounds, 'wallMs'), cpuMs: meanRound(workflowRounds, 'cpuMs') };
  const overheads = directRounds.map((round, index) => (workflowRounds[index]!.cpuMs - round.cpuMs) / tasks);
  const perTask = (ms: number): number => ms / tasks;
  const overhead = perTask(workflow.cpuMs) - perTask(direct.cpuMs);
  printRows('Workflow engine (action-chain, through packrun up as shipped)', [
    {
      name: `(w) packrun up CPU per task, ${tasks}-task sequential chain of a trivial Python action`,
      value: round(perTask(workflow.cpuMs), 2),
      unit: 'ms',
      baseline: { name: 'the same executions requested one by one over HTTP', value: round(perTask(direct.cpuMs), 2) },
      target: { text: '≤ 2 ms beyond the task', met: overhead <= 2, limit: perTask(direct.cpuMs) + 2 },
      note: `mean of ${rounds} alternating rounds (overhead per round: ${overheads.map((value) => round(value, 1)).join(', ')} ms); \`packrun up\` as shipped in its own process (sandbox: ${up.layers || 'as packrun doctor reports it'}), this process its HTTP client; engine overhead ${round(overhead, 2)} ms of CPU per task in the packrun up process (driver step, state and outbox written, child created and its end read back; the baseline pays an HTTP request, a stream event and a GET per execution, which the workflow's tasks do not); wall time per task ${round(perTask(workflow.wallMs), 1)} ms against ${round(perTask(direct.wallMs), 1)} ms requested one by one.`,
      bound: "each step writes the chain's whole state (its published variables and the results the later tasks may render), so a chain with large results pays for them at every step.",
    },
  ]);
} finally {
  await up.close();
  rmSync(root, { recursive: true, force: true });
}
