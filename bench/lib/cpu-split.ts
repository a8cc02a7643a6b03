import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const ticksPerSecond = 100;

/** utime, stime, cutime and cstime of a process, in ms: its own CPU and that of the children it reaped. */
function cpuOf(pid: number): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop() ?? '').split(' ');
    return [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0) * (1000 / ticksPerSecond);
  } catch {
    return 0;
  }
}

/** Pids of the processes whose command name is `name` (the RabbitMQ node is `beam.smp`). */
function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}

export interface CpuSplit {
  /** This process: API, store, bus client, runner, the benchmark's own HTTP client. */
  runtimeMs: number;
  /** The zygotes: their own work (forks) and their children's (each execution's child). */
  pythonMs: number;
  /** The RabbitMQ node, when one runs on this machine. */
  brokerMs: number;
}

/**
 * Measures where CPU time goes while `work` runs: this process, the given zygotes with the
 * children they reaped, and the local RabbitMQ node. The figures are totals over the run.
 */
export async function measureCpuSplit(zygotePids: () => number[], work: () => Promise<void>): Promise<CpuSplit> {
  const zygotesBefore = new Map(zygotePids().map((pid) => [pid, cpuOf(pid)]));
  const brokers = pidsNamed('beam.smp');
  const brokerBefore = brokers.reduce((sum, pid) => sum + cpuOf(pid), 0);
  const ownBefore = process.cpuUsage();
  await work();
  const own = process.cpuUsage(ownBefore);
  const pythonMs = zygotePids().reduce((sum, pid) => sum + cpuOf(pid) - (zygotesBefore.get(pid) ?? 0), 0);
  return {
    runtimeMs: (own.user + own.system) / 1000,
    pythonMs,
    brokerMs: brokers.reduce((sum, pid) => sum + cpuOf(pid), 0) - brokerBefore,
  };
}
