import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const ticksPerSecond = 100;

/** A process's CPU and that of the children it reaped (utime + cutime, stime + cstime), in ms. */
function cpuOf(pid: number): { user: number; system: number } {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop() ?? '').split(' ').map(Number);
    const ms = 1000 / ticksPerSecond;
    return { user: (fields[11]! + fields[13]!) * ms, system: (fields[12]! + fields[14]!) * ms };
  } catch {
    return { user: 0, system: 0 };
  }
}

const total = (cpu: { user: number; system: number }): number => cpu.user + cpu.system;

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
  /** The part of pythonMs spent in the kernel (forks, page faults, process exits, system calls). */
  pythonSystemMs: number;
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
  const brokerBefore = brokers.reduce((sum, pid) => sum + total(cpuOf(pid)), 0);
  const ownBefore = process.cpuUsage();
  await work();
  const own = process.cpuUsage(ownBefore);
  let pythonMs = 0;
  let pythonSystemMs = 0;
  for (const pid of zygotePids()) {
    const now = cpuOf(pid);
    const before = zygotesBefore.get(pid) ?? { user: 0, system: 0 };
    pythonMs += total(now) - total(before);
    pythonSystemMs += now.system - before.system;
  }
  return {
    runtimeMs: (own.user + own.system) / 1000,
    pythonMs,
    pythonSystemMs,
    brokerMs: brokers.reduce((sum, pid) => sum + total(cpuOf(pid)), 0) - brokerBefore,
  };
}
