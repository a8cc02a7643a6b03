import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Which process a pid meant when it was recorded. A pid alone identifies nothing once the process
 * is gone: pids are reused, and a restarted container runs as pid 1 again. With the process's
 * start time (/proc/<pid>/stat field 22, clock ticks since boot), the boot id and the pid
 * namespace, a later look can tell the same process, alive, from another one now wearing its pid.
 */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22; undefined where /proc is not there. */
  startTime?: string;
  bootId?: string;
  /** The pid namespace the pid is counted in (`pid:[4026531836]`): pids of two namespaces are not comparable. */
  pidNamespace?: string;
}

export function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function processStartTime(pid: number): string | undefined {
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

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This process, as a record of it keeps it. */
export function ownProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  const bootId = readBootId();
  const namespace = pidNamespace();
  return {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    ...(bootId === undefined ? {} : { bootId }),
    ...(namespace === undefined ? {} : { pidNamespace: namespace }),
  };
}

/**
 * Whether the process `recorded` names is still running, as far as this process can tell: true
 * when this boot and pid namespace hold a process with that pid that started at that time; false
 * when they hold none (gone, or its pid reused); undefined when it cannot be told from here
 * (another machine or boot, another pid namespace, no /proc).
 */
export function sameProcessRunning(recorded: ProcessIdentity): boolean | undefined {
  if (recorded.startTime === undefined || recorded.bootId === undefined || recorded.pidNamespace === undefined) return undefined;
  if (recorded.bootId !== readBootId() || recorded.pidNamespace !== pidNamespace()) return undefined;
  return processStartTime(recorded.pid) === recorded.startTime;
}
