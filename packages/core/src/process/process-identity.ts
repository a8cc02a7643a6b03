import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Who a process is, as a file left behind for other processes records it (the store lock, the
 * running server's address). A pid alone identifies nothing once the process is gone: pids are
 * reused, a container restarted runs as pid 1 again, and its host name may change. So the record
 * carries the process's start time (/proc/<pid>/stat field 22, clock ticks since boot) and the
 * boot id beside the pid and host name.
 */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22; undefined where /proc is not there. */
  startTime?: string;
  bootId?: string;
  host: string;
}

const bootIdFile = '/proc/sys/kernel/random/boot_id';

function readBootId(): string | undefined {
  try {
    return readFileSync(bootIdFile, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses and may itself hold spaces and parentheses: the
  // fields after it start past the last ')', with field 3 first.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process, as a record of it says. */
export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  const bootId = readBootId();
  return {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    ...(bootId === undefined ? {} : { bootId }),
    host: os.hostname(),
  };
}

/**
 * Why the recorded process is gone, or undefined while it may still run: the machine booted since
 * (another boot id), its pid is gone, or its pid now belongs to a process that started at another
 * time, our own pid included.
 */
export function goneReason(recorded: ProcessIdentity, me: ProcessIdentity = currentProcessIdentity()): string | undefined {
  if (recorded.bootId !== undefined && me.bootId !== undefined) {
    if (recorded.bootId !== me.bootId) return 'the machine has booted since (another boot id)';
    const startTime = processStartTime(recorded.pid);
    if (startTime === undefined) return `process ${recorded.pid} is gone`;
    if (recorded.startTime !== undefined && startTime !== recorded.startTime) return `pid ${recorded.pid} now belongs to a process started at another time`;
    return undefined;
  }
  // Without boot ids (no /proc): only a pid on this host can be judged, and only by existence.
  if (recorded.host === me.host && !isAlive(recorded.pid)) return `process ${recorded.pid} is gone`;
  return undefined;
}
