/**
 * (c) REST request to result: POST /api/v1/executions for a trivial Python action, until its
 * final state is published and GET /api/v1/executions/:id returns the result; p50 and p99, on the
 * embedded deployment (in-process bus) and on RabbitMQ. (d) executions per second: a burst of
 * requests POSTed at once, until all are final, on both. Baseline for each: the same with warm
 * spawning off, measured in the same run. API and runner run in this process, as `packrun up`
 * does, without the sandbox decorator (warm spawning needs that, docs/fast-spawn.md).
 * Run: node --import tsx bench/api/run.ts [requests, default 60] [burst, default 400]
 */
import { processZygotePool } from '../../packages/action-runner/src/index.ts';
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';
import { measureCpuSplit, type CpuSplit } from '../lib/cpu-split.ts';
import { startDeployment, type Deployment } from '../lib/deployment.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round, summary, timeEach } from '../lib/stats.ts';

const requests = Number(process.argv[2] ?? 60);
const burst = Number(process.argv[3] ?? 400);
const home = benchHome();
await installBenchPacks(home, [{ ref: 'benchpy', heavy: false }]);

async function latency(deployment: Deployment, count: number) {
  for (let i = 0; i < 3; i++) await deployment.execute('benchpy.trivial', { n: i });
  return summary(await timeEach(count, async (index) => {
    const record = await deployment.execute('benchpy.trivial', { n: index });
    if (record.status !== 'succeeded') throw new Error(`execution ${record.id} ${record.status}`);
  }));
}

/** Executions per second over a burst, and the CPU each took in this process, the Python side and the broker. */
async function throughput(deployment: Deployment, count: number): Promise<{ rate: number; cpu: CpuSplit }> {
  let seconds = 0;
  const cpu = await measureCpuSplit(
    () => processZygotePool(deployment.config).pids(),
    async () => {
      const started = performance.now();
      const records = await Promise.all(Array.from({ length: count }, (_, index) => deployment.execute('benchpy.trivial', { n: index })));
      seconds = (performance.now() - started) / 1000;
      const failed = records.filter((record) => record.status !== 'succeeded').length;
      if (failed > 0) throw new Error(`${failed} of ${count} executions did not succeed`);
    },
  );
  const per = (ms: number): number => ms / count;
  return { rate: count / seconds, cpu: { runtimeMs: per(cpu.runtimeMs), pythonMs: per(cpu.pythonMs), pythonSystemMs: per(cpu.pythonSystemMs), brokerMs: per(cpu.brokerMs) } };
}

function cpuText(cpu: CpuSplit, rabbit: boolean): string {
  const broker = rabbit ? `, RabbitMQ ${round(cpu.brokerMs, 2)} ms` : '';
  return `runtime process ${round(cpu.runtimeMs, 2)} ms (API, store, bus, runner, and this benchmark's HTTP client), Python ${round(cpu.pythonMs, 2)} ms of which ${round(cpu.pythonSystemMs, 2)} ms in the kernel (the zygote's fork; the child's set-up, run, page faults and exit)${broker}`;
}

function cpuBound(cpu: CpuSplit, rate: number, rabbit: boolean): string {
  const total = cpu.runtimeMs + cpu.pythonMs + cpu.brokerMs;
  return `CPU: ${round(total, 1)} ms per execution measured (${cpuText(cpu, rabbit)}), so 2 cores fit at most ${round(2000 / total, 0)}/s; 500/s would need 4 ms in all. The kernel's share of the Python side is the price of a fresh forked process per execution (the isolation the design asks for): the fork, copy-on-write page faults (~5 µs each on this virtual machine) and the exit. ${round(rate, 0)}/s measured.`;
}

const rows: BenchRow[] = [];
for (const rabbit of [false, true]) {
  const where = rabbit ? 'RabbitMQ' : 'embedded';
  const figures: Record<'cold' | 'warm', { p50: number; p99: number; rate: number; cpu: CpuSplit }> = {} as never;
  for (const warm of [false, true]) {
    // Concurrency 8: enough to keep both cores busy while processes start and results are stored.
    const deployment = await startDeployment(home, { rabbit, warm, concurrency: 8 });
    try {
      const timing = await latency(deployment, warm ? requests : Math.ceil(requests / 2));
      const { rate, cpu } = await throughput(deployment, warm ? burst : Math.ceil(burst / 4));
      figures[warm ? 'warm' : 'cold'] = { p50: timing.p50, p99: timing.p99, rate, cpu };
    } finally {
      await deployment.close();
    }
  }
  const target = rabbit ? 15 : 10;
  rows.push({
    name: `(c, secondary: in-process, no sandbox) REST request to result, ${where}, zygote, p50`,
    value: round(figures.warm.p50),
    unit: 'ms',
    baseline: { name: 'cold p50', value: round(figures.cold.p50) },
    target: { text: `≤ ${target} ms`, met: figures.warm.p50 <= target, limit: target },
    note: 'request to result = POST, the runner takes it from the bus, marks it running, forks, stores the result, publishes the final state, then GET of the record.',
    bound: `everything in (a) plus the services: validation and store write of the request, the bus hop${rabbit ? ' through RabbitMQ (publisher confirm)' : ''}, the running and final transitions stored and published, HTTP POST and GET; all in one Node process on 2 cores shared with the children.`,
  });
  rows.push({ name: `(c, secondary: in-process, no sandbox) REST request to result, ${where}, zygote, p99`, value: round(figures.warm.p99), unit: 'ms', baseline: { name: 'cold p99', value: round(figures.cold.p99) } });
  rows.push({
    name: `(d, secondary: in-process, no sandbox) executions per second, trivial Python action, ${where}, zygote`,
    value: round(figures.warm.rate),
    unit: '/s',
    compare: 'rate',
    baseline: { name: 'cold', value: round(figures.cold.rate) },
    target: { text: '≥ 500/s', met: figures.warm.rate >= 500, limit: 500 },
    bound: cpuBound(figures.warm.cpu, figures.warm.rate, rabbit),
    note: `${burst} requests POSTed at once, one runner with concurrency 8, 2 cores shared by the API, the store, the runner and every forked child. CPU per execution: ${cpuText(figures.warm.cpu, rabbit)}.`,
  });
}
printRows('REST latency and throughput in-process, without the sandbox (secondary: the headline is bench/api/packrun-up.ts)', rows);
